/*  cli_cert — make, allow, revoke and list certificates (cli_cert.h). The files are those of
    security/certs; a service picks up an allowed or revoked certificate at the next connection,
    without a restart.  */
#include "cli_cert.h"
#include "gl_security.h"

#include <dirent.h>
#include <unistd.h>

#define S_USAGE "cert init | new NAME --unit UNIT --role ROLE [--person ID] [--allow SERVICE]... | " \
                "allow NAME [SERVICE...] | revoke NAME [SERVICE...] | list"

static int
s_usage (const char *what)
{
    fprintf (stderr, "gridloop: cert: %s\n(usage: gridloop " S_USAGE ")\n", what);
    return 2;
}

static int
s_failed (const gl_err_t *err)
{
    fprintf (stderr, "gridloop: cert: %s\n", err->message);
    return 1;
}

//  SERVICE... from argv [from] on, or every server; checked against the names.
static int
s_services (int argc, char **argv, int from, const char **out, size_t max)
{
    size_t n = 0;
    for (int i = from; i < argc && n + 1 < max; i++) {
        bool known = false;
        for (size_t j = 0; gl_sec_servers [j]; j++)
            known |= streq (argv [i], gl_sec_servers [j]);
        if (!known)
            return -1;
        out [n++] = argv [i];
    }
    if (n == 0)
        for (; gl_sec_servers [n] && n + 1 < max; n++)
            out [n] = gl_sec_servers [n];
    out [n] = NULL;
    return 0;
}

static void
s_list (const gl_config_t *cfg)
{
    zdir_t *dir = zdir_new (cfg->certs_dir, NULL);
    zlist_t *files = dir? zdir_list (dir): NULL;
    printf ("%-20s %-12s %-11s %-10s %s\n", "name", "unit", "role", "person", "allowed at");
    for (zfile_t *f = files? zlist_first (files): NULL; f; f = zlist_next (files)) {
        const char *path = zfile_filename (f, NULL), *base = strrchr (path, '/');
        base = base? base + 1: path;
        size_t len = strlen (base);
        if (strchr (path + strlen (cfg->certs_dir) + 1, '/') || len < 6
        ||  !streq (base + len - 5, ".cert"))
            continue;                   //  only <certs>/<name>.cert
        zcert_t *cert = zcert_load (path);
        if (!cert)
            continue;
        char allowed [256] = "";
        for (size_t i = 0; gl_sec_servers [i]; i++) {
            char where [700];
            snprintf (where, sizeof where, "%s/allowed/%s/%.*s", cfg->certs_dir,
                      gl_sec_servers [i], (int) len, base);
            if (access (where, F_OK) == 0)
                snprintf (allowed + strlen (allowed), sizeof allowed - strlen (allowed), "%s%s",
                          *allowed? " ": "", gl_sec_servers [i]);
        }
        const char *person = zcert_meta (cert, "person");
        printf ("%-20s %-12s %-11s %-10s %s\n", zcert_meta (cert, "name")? zcert_meta (cert, "name"): "?",
                zcert_meta (cert, "unit")? zcert_meta (cert, "unit"): "?",
                zcert_meta (cert, "role")? zcert_meta (cert, "role"): "?", person? person: "-",
                *allowed? allowed: "(nowhere: revoked)");
        zcert_destroy (&cert);
    }
    zlist_destroy (&files);
    zdir_destroy (&dir);
}

int
cli_cert (const gl_config_t *cfg, int argc, char **argv)
{
    gl_err_t err;
    const char *services [16];
    if (argc < 2)
        return s_usage ("which? init, new, allow, revoke or list");
    const char *what = argv [1];
    if (streq (what, "init")) {
        int made = gl_sec_county (cfg, &err);
        if (made < 0)
            return s_failed (&err);
        printf ("%d new certificates in %s (the county's set: every service, the operator seat "
                "%s, the departmental sources)\n", made, cfg->certs_dir, cfg->cert_name);
        return 0;
    }
    if (streq (what, "list")) {
        s_list (cfg);
        return 0;
    }
    if (argc < 3)
        return s_usage ("which certificate? give its NAME");
    const char *name = argv [2];
    if (streq (what, "new")) {
        const char *unit = NULL, *role = NULL, *person = NULL;
        const char *allow [16];
        size_t nallow = 0;
        for (int i = 3; i + 1 < argc; i += 2) {
            if (streq (argv [i], "--unit"))
                unit = argv [i + 1];
            else
            if (streq (argv [i], "--role"))
                role = argv [i + 1];
            else
            if (streq (argv [i], "--person"))
                person = argv [i + 1];
            else
            if (streq (argv [i], "--allow") && nallow + 1 < 16)
                allow [nallow++] = argv [i + 1];
            else
                return s_usage ("unexpected argument");
        }
        allow [nallow] = NULL;
        if (!unit || !role)
            return s_usage ("--unit and --role say whom it is for");
        if (!streq (role, "operator") && !streq (role, "department") && !streq (role, "unit")
        &&  !streq (role, "service"))
            return s_usage ("--role is operator (acts for any unit), unit or department (acts "
                            "for its own unit only), or service");
        if (gl_sec_cert_new (cfg->certs_dir, name, unit, role, person, &err)
        ||  (nallow && gl_sec_allow (cfg->certs_dir, name, allow, &err)))
            return s_failed (&err);
        printf ("made %s/%s.cert and %s.cert_secret (give the holder both; keep the secret "
                "secret)%s\n", cfg->certs_dir, name, name,
                nallow? "": "; allow it with `gridloop cert allow NAME [SERVICE...]`");
        return 0;
    }
    if (s_services (argc, argv, 3, services, 16))
        return s_usage ("a SERVICE is one of bus intake dispatcher escalation archive metrics");
    if (streq (what, "allow")) {
        if (gl_sec_allow (cfg->certs_dir, name, services, &err))
            return s_failed (&err);
        printf ("%s is allowed; each service accepts it from its next connection\n", name);
        return 0;
    }
    if (streq (what, "revoke")) {
        if (gl_sec_revoke (cfg->certs_dir, name, services, &err))
            return s_failed (&err);
        printf ("%s is revoked; each service refuses it from its next connection (connections "
                "open now end when they are dropped)\n", name);
        return 0;
    }
    return s_usage ("which? init, new, allow, revoke or list");
}

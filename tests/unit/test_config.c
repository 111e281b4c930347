/*  test_config — gl_config: documented defaults, loading ZPL text and files, and the error
    sentences for unknown keys and bad values.  */
#include "unit.h"
#include "gl_config.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

static gl_config_t s_cfg;

static void
s_load_ok (const char *text)
{
    gl_err_t err = { GL_OK, "" };
    if (gl_config_load_text (&s_cfg, text, &err))
        fail_msg ("refused: %s\n--- text:\n%s", err.message, text);
}

//  Refused, and the message contains every one of the NULL-terminated words.
static void
s_load_refused (const char *text, ...)
{
    gl_err_t err = { GL_OK, "" };
    if (gl_config_load_text (&s_cfg, text, &err) != -1)
        fail_msg ("accepted:\n%s", text);
    assert_int_equal (err.code, GL_INVALID);
    va_list words;
    va_start (words, text);
    for (const char *w = va_arg (words, const char *); w; w = va_arg (words, const char *))
        if (!strstr (err.message, w))
            fail_msg ("message \"%s\" does not contain \"%s\"", err.message, w);
    va_end (words);
}

static void
test_defaults_match_the_documented_values (void **state)
{
    gl_config_t *c = &s_cfg;
    memset (c, 0x5a, sizeof *c);
    gl_config_defaults (c);
    assert_string_equal (c->path, "");
    assert_string_equal (c->county_code, "500235");
    assert_string_equal (c->county_name, "云阳县");
    assert_int_equal (c->utc_offset_min, 480);
    assert_string_equal (c->data_dir, "./var");
    assert_string_equal (c->org_path, "yunyang/org.json");
    assert_string_equal (c->categories_path, "yunyang/categories.json");
    assert_string_equal (c->admission_path, "yunyang/admission.json");
    assert_string_equal (c->calendar_path, "yunyang/calendar.json");
    assert_string_equal (c->limits_path, "yunyang/limits.json");
    assert_string_equal (c->log_level, "info");
    assert_string_equal (c->clock_mode, "wall");
    assert_int_equal (c->clock_start_ms, 0);
    assert_int_equal (c->max_msg_bytes, 1048576);
    assert_int_equal (c->pub_hwm, 100000);
    assert_int_equal (c->sub_hwm, 100000);
    assert_int_equal (c->max_envelope_bytes, 65536);
    assert_int_equal (c->batch, 1024);
    assert_int_equal (c->batch_mb, 64);
    assert_int_equal (c->peer_queue, 64);
    assert_int_equal (c->replay_kb, 256);
    assert_int_equal (c->answers_max, 1000000);
    assert_int_equal (c->request_timeout_ms, 2000);
    assert_int_equal (c->retention_days, 7);
    assert_int_equal (c->retention_max_mb, 1024);
    assert_string_equal (c->backup_dir, "./var/backups");
    assert_string_equal (c->bus_frontend, "tcp://127.0.0.1:7400");
    assert_string_equal (c->bus_backend, "tcp://127.0.0.1:7401");
    assert_string_equal (c->bus_control, "tcp://127.0.0.1:7409");

    struct {
        gl_svc_t svc;
        const char *endpoint, *durability;
        int64_t map_mb;
        const char *reads;
    } want [] = {
        { GL_SVC_INTAKE, "tcp://127.0.0.1:7410", "sync", 256, "dispatcher" },
        { GL_SVC_DISPATCHER, "tcp://127.0.0.1:7411", "sync", 256, "intake escalation" },
        { GL_SVC_ESCALATION, "tcp://127.0.0.1:7412", "sync", 256, "dispatcher" },
        { GL_SVC_ARCHIVE, "tcp://127.0.0.1:7413", "metasync", 1024,
          "intake dispatcher escalation metrics" },
        { GL_SVC_METRICS, "tcp://127.0.0.1:7414", "sync", 256,
          "intake dispatcher escalation" },
    };
    for (size_t i = 0; i < sizeof want / sizeof want [0]; i++) {
        const gl_svc_config_t *s = &c->svc [want [i].svc];
        assert_string_equal (s->endpoint, want [i].endpoint);
        assert_string_equal (s->durability, want [i].durability);
        assert_int_equal (s->map_mb, want [i].map_mb);
        assert_string_equal (s->reads, want [i].reads);
    }
}

static void
test_service_names_and_lookup (void **state)
{
    const char *names [GL_SVC_COUNT] = { "intake", "dispatcher", "escalation", "archive",
                                         "metrics" };
    for (int i = 0; i < GL_SVC_COUNT; i++) {
        assert_string_equal (gl_svc_names [i], names [i]);
        assert_int_equal (gl_svc_lookup (names [i], strlen (names [i])), i);
    }
    //  By length: a prefix of a longer text is found, a longer name is not.
    assert_int_equal (gl_svc_lookup ("intake.event", 6), GL_SVC_INTAKE);
    assert_int_equal (gl_svc_lookup ("intakeX", 7), -1);
    assert_int_equal (gl_svc_lookup ("bus", 3), -1);
    assert_int_equal (gl_svc_lookup ("intak", 5), -1);
    assert_int_equal (gl_svc_lookup ("", 0), -1);
}

static void
test_load_text_overrides_only_what_it_sets (void **state)
{
    s_load_ok ("limits\n"
               "    batch = 8\n"
               "    request_timeout_ms = 10\n"
               "county\n"
               "    utc_offset_min = -300\n"
               "    name = \"Test County\"\n"
               "data_dir = \"/srv/gl\"\n"
               "clock\n"
               "    mode = \"manual\"\n"
               "    start_ms = 1795795199000\n"
               "intake\n"
               "    endpoint = \"ipc:///tmp/gl-intake\"\n"
               "archive\n"
               "    durability = \"sync\"\n"
               "    map_mb = 1\n"
               "    reads = \"\"\n");
    gl_config_t *c = &s_cfg;
    assert_string_equal (c->path, "(text)");
    assert_int_equal (c->batch, 8);
    assert_int_equal (c->request_timeout_ms, 10);
    assert_int_equal (c->utc_offset_min, -300);
    assert_string_equal (c->county_name, "Test County");
    assert_string_equal (c->data_dir, "/srv/gl");
    assert_string_equal (c->clock_mode, "manual");
    assert_true (c->clock_start_ms == 1795795199000ll);
    assert_string_equal (c->svc [GL_SVC_INTAKE].endpoint, "ipc:///tmp/gl-intake");
    assert_string_equal (c->svc [GL_SVC_ARCHIVE].durability, "sync");
    assert_int_equal (c->svc [GL_SVC_ARCHIVE].map_mb, 1);
    assert_string_equal (c->svc [GL_SVC_ARCHIVE].reads, "");
    //  Everything else keeps its default.
    assert_string_equal (c->county_code, "500235");
    assert_int_equal (c->max_msg_bytes, 1048576);
    assert_string_equal (c->svc [GL_SVC_DISPATCHER].endpoint, "tcp://127.0.0.1:7411");
    assert_int_equal (c->svc [GL_SVC_INTAKE].map_mb, 256);

    //  A second load starts again from the defaults.
    s_load_ok ("limits\n    pub_hwm = 5\n");
    assert_int_equal (c->pub_hwm, 5);
    assert_int_equal (c->batch, 1024);
    assert_string_equal (c->svc [GL_SVC_ARCHIVE].durability, "metasync");

    //  An empty text is all defaults.
    s_load_ok ("");
    gl_config_t defaults;
    gl_config_defaults (&defaults);
    snprintf (defaults.path, sizeof defaults.path, "(text)");
    assert_memory_equal (c, &defaults, sizeof defaults);
}

static void
test_unknown_key_is_refused_naming_it (void **state)
{
    s_load_refused ("limits\n    batchh = 8\n", "(text)", "'limits/batchh'", "unknown", NULL);
    s_load_refused ("nonsense = 1\n", "'nonsense'", NULL);
    s_load_refused ("intake\n    endpoint = \"tcp://127.0.0.1:1\"\n    port = 1\n",
                    "'intake/port'", NULL);
    s_load_refused ("bus\n    frontend\n        deep = 1\n", "'bus/frontend/deep'", NULL);
}

static void
test_bad_int_is_refused_naming_key_and_bounds (void **state)
{
    const char *bad [] = { "abc", "0", "100001", "12x", "-1", "99999999999999999999", "1.5",
                           "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        char text [128];
        snprintf (text, sizeof text, "limits\n    batch = \"%s\"\n", bad [i]);
        s_load_refused (text, "'limits/batch'", "from 1 to 100000", NULL);
    }
    s_load_refused ("county\n    utc_offset_min = 841\n", "'county/utc_offset_min'",
                    "-720 to 840", NULL);
    s_load_refused ("archive\n    map_mb = 0\n", "'archive/map_mb'", NULL);
    //  Beyond 64 bits is refused, not clamped, even where the bound is INT64_MAX.
    s_load_refused ("clock\n    start_ms = 99999999999999999999\n", "'clock/start_ms'", NULL);
    s_load_refused ("clock\n    start_ms = -1\n", "'clock/start_ms'", NULL);
    s_load_ok ("clock\n    start_ms = 9223372036854775807\n");
    assert_true (s_cfg.clock_start_ms == INT64_MAX);
    //  The bounds themselves are fine.
    s_load_ok ("limits\n    batch = 1\n");
    assert_int_equal (s_cfg.batch, 1);
    s_load_ok ("limits\n    batch = 100000\n");
    assert_int_equal (s_cfg.batch, 100000);
    s_load_ok ("county\n    utc_offset_min = -720\n");
    assert_int_equal (s_cfg.utc_offset_min, -720);
}

static void
test_bad_enum_is_refused_listing_the_choices (void **state)
{
    s_load_refused ("archive\n    durability = \"fast\"\n", "'archive/durability'",
                    "sync|metasync", NULL);
    //  nosync was accepted once: refused now, saying why and what to use instead.
    s_load_refused ("archive\n    durability = \"nosync\"\n", "'archive/durability'",
                    "corrupt", "metasync", NULL);
    s_load_refused ("log\n    level = \"verbose\"\n", "'log/level'",
                    "debug|info|notice|warning|error", NULL);
    //  Prefixes and empty values are not choices.
    s_load_refused ("clock\n    mode = \"wal\"\n", "'clock/mode'", NULL);
    s_load_refused ("clock\n    mode = \"\"\n", "'clock/mode'", NULL);
    s_load_refused ("archive\n    durability = \"syncx\"\n", "'archive/durability'", NULL);
    s_load_ok ("log\n    level = \"error\"\n");
    assert_string_equal (s_cfg.log_level, "error");
}

static void
test_bad_endpoint_is_refused (void **state)
{
    s_load_refused ("intake\n    endpoint = \"http://127.0.0.1:7410\"\n", "'intake/endpoint'",
                    "tcp://", NULL);
    s_load_refused ("bus\n    backend = \"127.0.0.1:7401\"\n", "'bus/backend'", NULL);
    s_load_refused ("bus\n    control = \"\"\n", "'bus/control'", NULL);
    s_load_ok ("bus\n    control = \"inproc://control\"\n");
    assert_string_equal (s_cfg.bus_control, "inproc://control");
}

static void
test_too_long_string_is_refused (void **state)
{
    s_load_refused ("county\n    code = \"12345678901234567890\"\n", "'county/code'", "15",
                    NULL);
    s_load_ok ("county\n    code = \"123456789012345\"\n");
    assert_string_equal (s_cfg.county_code, "123456789012345");
}

static void
test_missing_file_is_refused_naming_the_path (void **state)
{
    gl_err_t err = { GL_OK, "" };
    const char *path = "/nonexistent/gridloop/no-such.cfg";
    assert_int_equal (gl_config_load (&s_cfg, path, &err), -1);
    assert_int_equal (err.code, GL_INVALID);
    assert_non_null (strstr (err.message, path));
}

static void
test_bad_value_in_a_file_names_the_file_and_key (void **state)
{
    char path [] = "/tmp/gl-test-config-XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    const char *text = "limits\n    batch = 0\n";
    assert_int_equal (write (fd, text, strlen (text)), (ssize_t) strlen (text));
    close (fd);
    gl_err_t err = { GL_OK, "" };
    int rc = gl_config_load (&s_cfg, path, &err);
    unlink (path);
    assert_int_equal (rc, -1);
    assert_int_equal (err.code, GL_INVALID);
    assert_non_null (strstr (err.message, path));
    assert_non_null (strstr (err.message, "'limits/batch'"));
}

//  A default domain path as gl_config_load resolves it: beside the file at config_path.
static void
s_beside (char *out, size_t size, const char *config_path, const char *relative)
{
    char dir [PATH_MAX], real [PATH_MAX];
    snprintf (dir, sizeof dir, "%s", config_path);
    *strrchr (dir, '/') = 0;
    assert_non_null (realpath (dir, real));
    int n = snprintf (out, size, "%s/%s", real, relative);
    assert_true (n > 0 && (size_t) n < size);
}

static void
test_bundled_gridloop_cfg_loads_and_shows_the_defaults (void **state)
{
    const char *path = u_source_path ("deploy/gridloop.cfg");
    gl_err_t err = { GL_OK, "" };
    if (gl_config_load (&s_cfg, path, &err))
        fail_msg ("%s", err.message);
    assert_string_equal (s_cfg.path, path);
    //  The file says every key in it shows its default value; the relative domain paths come
    //  back resolved against deploy/, the file's directory.
    gl_config_t defaults;
    gl_config_defaults (&defaults);
    assert_true (strlen (path) < sizeof defaults.path);
    memcpy (defaults.path, path, strlen (path) + 1);
    s_beside (defaults.org_path, sizeof defaults.org_path, path, "yunyang/org.json");
    s_beside (defaults.categories_path, sizeof defaults.categories_path, path,
              "yunyang/categories.json");
    s_beside (defaults.admission_path, sizeof defaults.admission_path, path,
              "yunyang/admission.json");
    s_beside (defaults.calendar_path, sizeof defaults.calendar_path, path,
              "yunyang/calendar.json");
    s_beside (defaults.limits_path, sizeof defaults.limits_path, path, "yunyang/limits.json");
    s_beside (defaults.scores_path, sizeof defaults.scores_path, path, "yunyang/scores.json");
    //  The one setting that is not a default: the bundled county registers its departments.
    assert_string_equal (s_cfg.intake_sources, "police-110 hotline-12345 sensors-flood");
    snprintf (defaults.intake_sources, sizeof defaults.intake_sources, "%s",
              s_cfg.intake_sources);
    assert_memory_equal (&s_cfg, &defaults, sizeof defaults);
    //  And they name the bundled county's files.
    assert_int_equal (access (s_cfg.org_path, R_OK), 0);
    assert_int_equal (access (s_cfg.categories_path, R_OK), 0);
    assert_int_equal (access (s_cfg.admission_path, R_OK), 0);
    assert_int_equal (access (s_cfg.calendar_path, R_OK), 0);
    assert_int_equal (access (s_cfg.limits_path, R_OK), 0);
    assert_int_equal (access (s_cfg.scores_path, R_OK), 0);
}

static void
test_server_cfg_differs_from_bundled_only_in_data_dir_and_domain_paths (void **state)
{
    const char *path = u_source_path ("deploy/gridloop.server.cfg");
    char saved [1024];
    snprintf (saved, sizeof saved, "%s", path);
    gl_err_t err = { GL_OK, "" };
    if (gl_config_load (&s_cfg, saved, &err))
        fail_msg ("%s", err.message);
    assert_string_equal (s_cfg.data_dir, "/var/lib/gridloop");
    gl_config_t defaults;
    gl_config_defaults (&defaults);
    assert_true (strlen (saved) < sizeof defaults.path);
    memcpy (defaults.path, saved, strlen (saved) + 1);
    snprintf (defaults.data_dir, sizeof defaults.data_dir, "/var/lib/gridloop");
    snprintf (defaults.org_path, sizeof defaults.org_path, "/etc/gridloop/yunyang/org.json");
    snprintf (defaults.categories_path, sizeof defaults.categories_path,
              "/etc/gridloop/yunyang/categories.json");
    snprintf (defaults.admission_path, sizeof defaults.admission_path,
              "/etc/gridloop/yunyang/admission.json");
    snprintf (defaults.backup_dir, sizeof defaults.backup_dir, "/var/backups/gridloop");
    snprintf (defaults.calendar_path, sizeof defaults.calendar_path,
              "/etc/gridloop/yunyang/calendar.json");
    snprintf (defaults.limits_path, sizeof defaults.limits_path,
              "/etc/gridloop/yunyang/limits.json");
    snprintf (defaults.scores_path, sizeof defaults.scores_path,
              "/etc/gridloop/yunyang/scores.json");
    snprintf (defaults.intake_sources, sizeof defaults.intake_sources,
              "police-110 hotline-12345 sensors-flood");
    assert_memory_equal (&s_cfg, &defaults, sizeof defaults);
}

static void
test_domain_paths_are_relative_to_the_config_file (void **state)
{
    char dir [] = "/tmp/gl-test-config-dir-XXXXXX";
    assert_non_null (mkdtemp (dir));
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/county.cfg", dir);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs ("domain\n"
           "    org = \"other/org.json\"\n"
           "    categories = \"/srv/gl/categories.json\"\n", file);
    fclose (file);
    gl_err_t err = { GL_OK, "" };
    int rc = gl_config_load (&s_cfg, path, &err);
    char want [PATH_MAX];
    s_beside (want, sizeof want, path, "other/org.json");
    unlink (path);
    rmdir (dir);
    if (rc)
        fail_msg ("%s", err.message);
    //  Relative: joined to the file's (real) directory; absolute: kept as written.
    assert_string_equal (s_cfg.org_path, want);
    assert_string_equal (s_cfg.categories_path, "/srv/gl/categories.json");
    //  Text has no directory: the values stay as given.
    s_load_ok ("domain\n    org = \"a/org.json\"\n");
    assert_string_equal (s_cfg.org_path, "a/org.json");
    assert_string_equal (s_cfg.categories_path, "yunyang/categories.json");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_defaults_match_the_documented_values),
        cmocka_unit_test (test_service_names_and_lookup),
        cmocka_unit_test (test_load_text_overrides_only_what_it_sets),
        cmocka_unit_test (test_unknown_key_is_refused_naming_it),
        cmocka_unit_test (test_bad_int_is_refused_naming_key_and_bounds),
        cmocka_unit_test (test_bad_enum_is_refused_listing_the_choices),
        cmocka_unit_test (test_bad_endpoint_is_refused),
        cmocka_unit_test (test_too_long_string_is_refused),
        cmocka_unit_test (test_missing_file_is_refused_naming_the_path),
        cmocka_unit_test (test_bad_value_in_a_file_names_the_file_and_key),
        cmocka_unit_test (test_bundled_gridloop_cfg_loads_and_shows_the_defaults),
        cmocka_unit_test (test_server_cfg_differs_from_bundled_only_in_data_dir_and_domain_paths),
        cmocka_unit_test (test_domain_paths_are_relative_to_the_config_file),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

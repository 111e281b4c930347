/*  gridloop-bus — the bus process: the gl_bus actor until SIGINT or SIGTERM.  */
#include "gl_bus.h"
#include "gl_log.h"

int
main (int argc, char **argv)
{
    const char *usage =
        "usage: gridloop-bus [--config FILE]\n"
        "\n"
        "Runs the gridloop message bus until SIGINT or SIGTERM: publishers connect to\n"
        "bus/frontend, subscribers to bus/backend; status on bus/control.\n"
        "\n"
        "  --config FILE   the gridloop configuration (ZPL); default /etc/gridloop/gridloop.cfg\n"
        "  --help          this text\n"
        "  --version       the version\n";
    gl_config_t cfg;
    int rc = gl_config_from_args (&cfg, argc, argv, "gridloop-bus", usage);
    if (rc >= 0)
        return rc;
    zsys_init ();
    zsys_set_logident ("gridloop-bus");
    gl_log_set_level (gl_log_level_parse (cfg.log_level));
    gl_err_t err;
    zactor_t *bus = gl_bus_start (&cfg, &err);
    if (!bus) {
        fprintf (stderr, "gridloop-bus: %s\n", err.message);
        return 1;
    }
    //  The actor does the work; this thread waits for SIGINT or SIGTERM (which interrupt the
    //  poll) or for the actor to end.
    zpoller_t *poller = zpoller_new (bus, NULL);
    zpoller_wait (poller, -1);
    zpoller_destroy (&poller);
    zactor_destroy (&bus);
    return 0;
}

/*  gridloop-metrics — the metrics service process.  */
#include "metrics.h"

int
main (int argc, char **argv)
{
    return gl_service_main (argc, argv, &metrics_service);
}

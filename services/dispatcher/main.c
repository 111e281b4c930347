/*  gridloop-dispatcher — the dispatcher service process.  */
#include "dispatcher.h"

int
main (int argc, char **argv)
{
    return gl_service_main (argc, argv, &dispatcher_service);
}

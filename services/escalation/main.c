/*  gridloop-escalation — the escalation service process.  */
#include "escalation.h"

int
main (int argc, char **argv)
{
    return gl_service_main (argc, argv, &escalation_service);
}

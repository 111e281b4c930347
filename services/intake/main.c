/*  gridloop-intake — the intake service process.  */
#include "intake.h"

int
main (int argc, char **argv)
{
    return gl_service_main (argc, argv, &intake_service);
}

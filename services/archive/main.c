/*  gridloop-archive — the archive service process.  */
#include "archive.h"

int
main (int argc, char **argv)
{
    return gl_service_main (argc, argv, &archive_service);
}

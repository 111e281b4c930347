/*  cli_cert — certificates on the command line (`gridloop cert`, gl_security.h).  */
#ifndef CLI_CERT_H
#define CLI_CERT_H

#include "gl_config.h"

/*  cert init                                       the county's set (kept if present)
    cert new NAME --unit UNIT --role ROLE [--person ID] [--allow SERVICE]...
    cert allow NAME [SERVICE...]                    (default: every service and the bus)
    cert revoke NAME [SERVICE...]                   (default: everywhere)
    cert list                                       every certificate and where it is allowed
    Returns 0, 1 when it could not (the reason printed), 2 for bad usage.  */
int cli_cert (const gl_config_t *cfg, int argc, char **argv);

#endif

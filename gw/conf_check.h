/*
 * Cross-key validation of a configuration (internal to conf*.c).
 */
#ifndef GW_CONF_CHECK_H
#define GW_CONF_CHECK_H

#include <stddef.h>

#include "conf.h"

/*
 * Fills derived defaults and checks what involves several keys or sections.
 * Returns 0 or -EINVAL with "file:line: message" in err.
 */
int conf_check(struct conf *c, char *err, size_t cap);

#endif

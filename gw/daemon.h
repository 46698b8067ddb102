/*
 * The daemon's life cycle, separate from main() so tests can drive it:
 * start the parts from a configuration, reload, and shut down cleanly
 * (every call cleared with cause 16 before the process exits).
 */
#ifndef GW_DAEMON_H
#define GW_DAEMON_H

#include <stddef.h>

#include "gw.h"

#define GW_SHUTDOWN_GRACE_MS 5000 /* calls get this long to clear */

/*
 * Starts everything for conf (ownership of conf passes to gw). Returns 0 or
 * -errno with a message in err; on failure gw_fini() cleans up.
 */
int gw_init(struct gw *gw, struct conf *conf, const char *conf_path, char *err,
	    size_t cap);

/*
 * Re-reads the configuration file. What can change live is applied; what
 * cannot is listed in notes ("span 2: changed, restart to apply"). On a bad
 * file the running configuration stays and err says why. Returns 0/-errno.
 */
int gw_reload(struct gw *gw, char *notes, size_t notes_cap, char *err,
	      size_t cap);

/* Begins a clean shutdown: clears calls, then stops the loop. */
void gw_shutdown(struct gw *gw);

/* daemon_sip.c: starts the SIP transports, transactions and UA core for
 * gw->conf. Returns 0 or -errno with a message in err. */
int gw_sip_init(struct gw *gw, char *err, size_t cap);
void gw_sip_fini(struct gw *gw);

/* Frees everything gw_init() made. */
void gw_fini(struct gw *gw);

#endif

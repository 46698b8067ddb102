/*
 * The control socket: one JSON object per line over a UNIX stream socket,
 * one reply line per request: {"ok":true,...} or {"ok":false,"error":"..."}
 * (with the request's "id" echoed when given). gwctl is its client.
 * Commands are a table (ctl_cmd.c) from which `help` is generated.
 */
#ifndef GW_CTL_H
#define GW_CTL_H

#include <stddef.h>

#include "ctl/json.h"

struct loop;

#define CTL_MAX_LINE  65536
#define CTL_MAX_CONNS 64

struct ctl;

/* A command handler: reads the request object `req` in d and writes the
 * reply's members (not the braces, not "ok") to out. Returns 0, or -errno
 * with a message in err. */
typedef int ctl_fn(void *arg, const struct json_doc *d, int req,
		   struct json_out *out, char *err, size_t cap);

struct ctl_cmd {
	const char *name;
	ctl_fn *fn;
	const char *args; /* e.g. "span chan" */
	const char *help;
};

/* What a server serves: its command table and the handlers' argument. */
struct ctl_table {
	const struct ctl_cmd *cmds;
	unsigned ncmds;
	void *arg;
	const char *who; /* "gwd", "pstnsim": for messages */
};

/* gwd's commands (ctl_cmd.c); arg is the struct gw. */
extern const struct ctl_cmd ctl_cmds[];
extern const unsigned ctl_ncmds;

/*
 * Listens on path (refusing if another daemon answers there; removing a
 * stale socket file). Returns 0 or -errno with a message in err.
 */
int ctl_new(struct ctl **cp, struct loop *loop, const struct ctl_table *t,
	    const char *path, char *err, size_t cap);
/* Closes every connection and removes the socket file. NULL is a no-op. */
void ctl_free(struct ctl *c);

/* Reads a required integer member of request req; on a missing or
 * out-of-range value writes "KEY: want a number MIN..MAX" to err and
 * returns -EINVAL. */
int ctl_arg_uint(const struct json_doc *d, int req, const char *key,
		 unsigned min, unsigned max, unsigned *out, char *err,
		 size_t cap);
/* Writes "commands": [...] for a `help` reply from a command table. */
void ctl_help_put(const struct ctl_cmd *cmds, unsigned n, struct json_out *o);

/* Runs one request line (no newline) and appends the reply line to out. */
void ctl_handle_line(const struct ctl_table *t, const char *line, size_t len,
		     struct json_out *out);

#endif

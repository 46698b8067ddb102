/*
 * gwctl internals: the command grammar row and the renderers that turn a
 * gwd reply into tables.
 */
#ifndef GWCTL_H
#define GWCTL_H

#include <stdbool.h>
#include <stddef.h>

#include "ctl/json.h"

typedef int gwctl_show_fn(const struct json_doc *d);

struct gwctl_cmd {
	const char *name;    /* what the operator types */
	const char *request; /* the control command sent; NULL: local */
	int nargs;	     /* exact count, or -N for at most N */
	const char *args;
	gwctl_show_fn *show;
	const char *help;
};

/*
 * Prints the reply: verbatim with json, else through c->show. An error
 * reply goes to stderr. Returns the exit status (0 ok, 1 error reply).
 */
int gwctl_render(const struct gwctl_cmd *c, const char *reply, size_t len,
		 bool json);

int gwctl_show_status(const struct json_doc *d);
int gwctl_show_spans(const struct json_doc *d);
int gwctl_show_span(const struct json_doc *d);
int gwctl_show_channels(const struct json_doc *d);
int gwctl_show_channel(const struct json_doc *d);
int gwctl_show_restart(const struct json_doc *d);
int gwctl_show_reload(const struct json_doc *d);
int gwctl_show_calls(const struct json_doc *d);
int gwctl_show_causes(const struct json_doc *d);
int gwctl_show_media(const struct json_doc *d);

#endif

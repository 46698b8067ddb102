/*
 * gwctl: the operators' tool. Sends one request to gwd's control socket
 * and renders the reply as a table, or passes the JSON through (--json).
 * The grammar is the table below; `gwctl help` is generated from it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/json.h"
#include "gwctl.h"

#define GWCTL_DEFAULT_SOCKET "/run/gwd/gwd.sock"
#define GWCTL_TIMEOUT_S	     10

/* Parses "N" or "N/M" into span and (optional) channel. */
static int parse_span_chan(const char *s, long *span, long *chan,
			   bool need_chan)
{
	char *end;
	*chan = -1;
	*span = strtol(s, &end, 10);
	if (end == s || *span < 1)
		return -EINVAL;
	if (*end == '/') {
		const char *c = end + 1;
		*chan = strtol(c, &end, 10);
		if (end == c || *chan < 1)
			return -EINVAL;
	}
	if (*end || (need_chan && *chan < 0))
		return -EINVAL;
	return 0;
}

static const struct gwctl_cmd cmds[] = {
    {"status", "status", 0, NULL, gwctl_show_status,
     "daemon version, uptime and totals"},
    {"spans", "spans", 0, NULL, gwctl_show_spans,
     "every span: state, alarms, channels, counters"},
    {"span", "span", 1, "SPAN", gwctl_show_span,
     "one span in detail, with its channels"},
    {"channels", "channels", -1, "[SPAN]", gwctl_show_channels,
     "B-channel states"},
    {"block", "block", 1, "SPAN/CHAN", gwctl_show_channel,
     "take a B-channel out of service (SERVICE where the switch has it)"},
    {"unblock", "unblock", 1, "SPAN/CHAN", gwctl_show_channel,
     "return a B-channel to service"},
    {"restart", "restart", 1, "SPAN[/CHAN]", gwctl_show_restart,
     "RESTART one channel, or every idle channel of a span"},
    {"calls", "calls", 0, NULL, gwctl_show_calls, "calls in progress"},
    {"media", "media", -1, "[clear]", gwctl_show_media,
     "media counters over all channels, added latency p50/p99"},
    {"causes", "causes", -1, "[TRUNKGROUP]", gwctl_show_causes,
     "effective Q.850 <-> SIP cause mapping"},
    {"reload", "reload", 0, NULL, gwctl_show_reload,
     "re-read gwd's configuration"},
    {"raw", "raw", 1, "JSON", NULL,
     "send one JSON request line as is, print the reply line"},
    {"help", NULL, 0, NULL, NULL, "this list"},
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: gwctl [-s SOCKET] [--json] COMMAND [ARGS]\n\n"
		   "commands:\n");
	for (size_t i = 0; i < NCMDS; i++) {
		char left[40];
		snprintf(left, sizeof(left), "%s %s", cmds[i].name,
			 cmds[i].args ? cmds[i].args : "");
		fprintf(f, "  %-22s %s\n", left, cmds[i].help);
	}
	fprintf(f,
		"\nThe socket is $GWD_SOCKET, or " GWCTL_DEFAULT_SOCKET ".\n");
}

/* Builds the request object for a command and its arguments. */
static int build_request(const struct gwctl_cmd *c, int argc, char **argv,
			 struct json_out *j)
{
	json_obj_begin(j);
	json_kv_str(j, "cmd", c->request);
	if (argc > 0 && strcmp(c->name, "causes") == 0) {
		json_kv_str(j, "trunkgroup", argv[0]);
	} else if (argc > 0 && strcmp(c->name, "media") == 0) {
		if (strcmp(argv[0], "clear") != 0) {
			fprintf(stderr,
				"gwctl media: bad argument '%s' (want "
				"clear)\n",
				argv[0]);
			return -EINVAL;
		}
		json_kv_bool(j, "clear", true);
	} else if (argc > 0) {
		long span, chan;
		bool need_chan = strcmp(c->name, "block") == 0 ||
				 strcmp(c->name, "unblock") == 0;
		if (parse_span_chan(argv[0], &span, &chan, need_chan)) {
			fprintf(stderr,
				"gwctl %s: bad argument '%s' (want "
				"%s)\n",
				c->name, argv[0], c->args);
			return -EINVAL;
		}
		if (chan >= 0 && (strcmp(c->name, "span") == 0 ||
				  strcmp(c->name, "channels") == 0)) {
			fprintf(stderr,
				"gwctl %s: want a span number, not "
				"'%s'\n",
				c->name, argv[0]);
			return -EINVAL;
		}
		json_kv_int(j, "span", span);
		if (chan >= 0)
			json_kv_int(j, "chan", chan);
	}
	json_obj_end(j);
	json_append(j, "\n", 1);
	return j->err;
}

/* Sends the request and reads one reply line. Returns 0 or -errno. */
static int exchange(const char *path, const struct json_out *req, char **out,
		    size_t *outlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct timeval tv = {.tv_sec = GWCTL_TIMEOUT_S};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, req->buf, req->len, MSG_NOSIGNAL) != (ssize_t)req->len) {
		int e = errno;
		close(fd);
		return -e;
	}
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
		if (n <= 0) {
			int e = n < 0 ? errno : EPIPE;
			free(buf);
			close(fd);
			return -e;
		}
		len += (size_t)n;
		if (buf[len - 1] == '\n')
			break;
	}
	close(fd);
	if (!buf)
		return -ENOMEM;
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

static const struct gwctl_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

static int run(const char *path, bool json, const struct gwctl_cmd *c, int argc,
	       char **argv)
{
	struct json_out req;
	json_out_init(&req);
	bool raw = strcmp(c->name, "raw") == 0;
	if (raw) {
		json_append(&req, argv[0], strlen(argv[0]));
		json_append(&req, "\n", 1);
	} else if (build_request(c, argc, argv, &req)) {
		json_out_free(&req);
		return 2;
	}
	char *reply = NULL;
	size_t len = 0;
	int rc = exchange(path, &req, &reply, &len);
	json_out_free(&req);
	if (rc) {
		fprintf(stderr, "gwctl: cannot reach gwd at %s: %s%s\n", path,
			strerror(-rc),
			rc == -ENOENT || rc == -ECONNREFUSED
			    ? " (is gwd running?)"
			    : "");
		return 1;
	}
	if (raw) {
		/* any control socket speaks this: gwd's or pstnsim's */
		fwrite(reply, 1, len, stdout);
		if (len && reply[len - 1] != '\n')
			putchar('\n');
		rc = strstr(reply, "\"ok\":true") ? 0 : 1;
	} else {
		rc = gwctl_render(c, reply, len, json);
	}
	free(reply);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = getenv("GWD_SOCKET");
	bool json = false;
	int opt;
	if (!path || !*path)
		path = GWCTL_DEFAULT_SOCKET;
	while ((opt = getopt_long(argc, argv, "+s:jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	const struct gwctl_cmd *c = find_cmd(argv[optind]);
	if (!c) {
		fprintf(stderr, "gwctl: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!c->request) {
		usage(stdout);
		return 0;
	}
	int nargs = argc - optind - 1;
	if ((c->nargs >= 0 && nargs != c->nargs) ||
	    (c->nargs < 0 && nargs > -c->nargs)) {
		fprintf(stderr, "usage: gwctl %s %s\n", c->name,
			c->args ? c->args : "");
		return 2;
	}
	return run(path, json, c, nargs, argv + optind + 1);
}

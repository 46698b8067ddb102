/*
 * gwd: the SIP-to-PSTN gateway daemon. Parses the command line, checks or
 * loads the configuration, sets up logging (stderr in the foreground,
 * syslog as a daemon), writes the pid file, and runs the event loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "mem.h"

#define GWD_DEFAULT_CONF "/etc/gwd/gwd.conf"

static void usage(FILE *f)
{
	fprintf(f, "usage: gwd [-fnv] [-c FILE] | -k\n"
		   "  -c FILE  configuration (default " GWD_DEFAULT_CONF ")\n"
		   "  -f       stay in the foreground, log to stderr\n"
		   "  -n       check the configuration, print it normalised, "
		   "exit\n"
		   "  -k       list every configuration key and exit\n"
		   "  -v       log at debug level (overrides log_level)\n"
		   "  -h       this help\n");
}

/* The many descriptors of large span counts (one per B-channel). */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int write_pid_file(const char *path)
{
	char tmp[300], buf[32];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	ssize_t w = write(fd, buf, (size_t)n);
	close(fd);
	if (w != n || rename(tmp, path) < 0) {
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

/* Detaches from the terminal; the parent exits once the child is set. */
static int detach(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -errno;
	int fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = GWD_DEFAULT_CONF;
	bool foreground = false, check = false, verbose = false;
	int opt;
	while ((opt = getopt(argc, argv, "c:fknvh")) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'n':
			check = true;
			break;
		case 'k':
			conf_print_keys(stdout);
			return 0;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("gwd", LOG_SINK_STDERR, LOG_LVL_INFO);
	struct conf *conf;
	char err[512];
	if (conf_load(&conf, path, err, sizeof(err))) {
		fprintf(stderr, "gwd: %s\n", err);
		return 1;
	}
	if (check) {
		conf_print(conf, stdout);
		conf_free(conf);
		return 0;
	}
	enum log_level lvl =
	    verbose ? LOG_LVL_DEBUG : (enum log_level)conf->general.log_level;
	enum log_sink sink = !foreground ? LOG_SINK_SYSLOG
			     : conf->general.log_format == CONF_LOG_JSON
				 ? LOG_SINK_JSON
				 : LOG_SINK_STDERR;
	if (!foreground && detach()) {
		fprintf(stderr, "gwd: cannot detach: %s\n", strerror(errno));
		return 1;
	}
	log_init("gwd", sink, lvl);
	raise_fd_limit();
	gw_mem_tune();
	char pid_path[sizeof(conf->general.pid_file)];
	snprintf(pid_path, sizeof(pid_path), "%s", conf->general.pid_file);
	struct gw gw;
	int rc = gw_init(&gw, conf, path, err, sizeof(err));
	if (rc) {
		log_err("start-up failed: %s", err);
		gw_fini(&gw);
		return 1;
	}
	if (!foreground && (rc = write_pid_file(pid_path)))
		log_warn("cannot write %s: %s", pid_path, strerror(-rc));
	log_notice("gwd started with %s", path);
	rc = loop_run(gw.loop);
	if (rc)
		log_err("event loop: %s", strerror(-rc));
	gw_fini(&gw);
	if (!foreground)
		unlink(pid_path);
	log_notice("gwd stopped");
	return rc ? 1 : 0;
}

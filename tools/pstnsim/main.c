/*
 * pstnsim: the PSTN switch simulator's process. Reads the scenario file,
 * serves sim spans on the attach socket (-S) and DAHDI spans directly,
 * answers control requests (-C) and writes its event log (-l).
 *
 * usage: pstnsim -c FILE [-S SIMSOCK] [-C CTLSOCK] [-l EVENTS] [-v] [-n]
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "log.h"
#include "psim.h"
#include "psim_span_int.h"

#define EVENT_RING 100000 /* events kept for the `events` command */

static void usage(FILE *f)
{
	fprintf(f, "usage: pstnsim -c FILE [-S SIMSOCK] [-C CTLSOCK] "
		   "[-l EVENTS.jsonl] [-v] [-n]\n"
		   "  -c FILE     spans and number behaviours (INI)\n"
		   "  -S SIMSOCK  socket gwd's sim spans attach to\n"
		   "  -C CTLSOCK  control socket (JSON lines)\n"
		   "  -l FILE     append every event as a JSON line\n"
		   "  -v          debug logging\n"
		   "  -n          check the file and exit\n");
}

static void libpri_msg(struct pri *pri, char *msg)
{
	(void)pri;
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		n--;
	log_debug("libpri: %.*s", (int)n, msg);
}

static void libpri_err(struct pri *pri, char *msg)
{
	(void)pri;
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		n--;
	log_info("libpri: %.*s", (int)n, msg);
}

static void on_signal(struct loop_io *io, uint32_t events)
{
	struct psim *p = io->arg;
	struct signalfd_siginfo si;
	(void)events;
	while (read(io->fd, &si, sizeof(si)) == sizeof(si)) {
		log_info("signal %u: stopping", si.ssi_signo);
		p->quitting = true;
		loop_stop(p->loop);
	}
}

/* Many spans mean many channel descriptors: raise the soft limit. */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int start(struct psim *p, const char *sim_path, const char *ctl_path,
		 const char *events_path)
{
	char err[512];
	int rc = psim_events_init(p, events_path, EVENT_RING);
	if (rc) {
		log_err("%s: %s", events_path ? events_path : "events",
			strerror(-rc));
		return rc;
	}
	bool sim = false;
	for (unsigned no = 1; no <= PSIM_MAX_SPANS; no++) {
		if (!p->conf.span[no].present)
			continue;
		sim |= p->conf.span[no].driver == PSIM_DRV_SIM;
		if ((rc = psim_span_new(p, &p->conf.span[no]))) {
			log_err("span %u: %s", no, strerror(-rc));
			return rc;
		}
	}
	if (sim && !sim_path) {
		log_err("sim spans need -S SOCKET for gwd to attach to");
		return -EINVAL;
	}
	if (sim_path &&
	    (rc = psim_host_listen(p, sim_path, err, sizeof(err)))) {
		log_err("%s", err);
		return rc;
	}
	if (ctl_path && (rc = psim_ctl_open(p, ctl_path, err, sizeof(err)))) {
		log_err("%s", err);
		return rc;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *conf_path = NULL, *sim_path = NULL, *ctl_path = NULL;
	const char *events_path = NULL;
	bool verbose = false, check = false;
	int opt;
	while ((opt = getopt(argc, argv, "c:S:C:l:vnh")) != -1) {
		switch (opt) {
		case 'c':
			conf_path = optarg;
			break;
		case 'S':
			sim_path = optarg;
			break;
		case 'C':
			ctl_path = optarg;
			break;
		case 'l':
			events_path = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'n':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!conf_path || optind != argc) {
		usage(stderr);
		return 2;
	}
	static struct psim p; /* large: keep it off the stack */
	char err[512];
	log_init("pstnsim", LOG_SINK_STDERR, LOG_LVL_INFO);
	if (psim_conf_load(&p.conf, conf_path, err, sizeof(err))) {
		fprintf(stderr, "pstnsim: %s\n", err);
		return 1;
	}
	if (check)
		return 0;
	log_set_level(verbose ? LOG_LVL_DEBUG : p.conf.log_level);
	raise_nofile();
	pri_set_message(libpri_msg);
	pri_set_error(libpri_err);
	p.sim_fd = -1;
	if (loop_new(&p.loop)) {
		fprintf(stderr, "pstnsim: cannot create the event loop\n");
		return 1;
	}
	p.started_ms = loop_now_ms(p.loop);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct loop_io sig_io;
	int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	int rc =
	    sfd < 0 ? -errno
		    : loop_io_add(p.loop, &sig_io, sfd, EPOLLIN, on_signal, &p);
	if (!rc)
		rc = start(&p, sim_path, ctl_path, events_path);
	if (!rc) {
		log_info(
		    "pstnsim ready%s%s%s%s", sim_path ? ": sim spans on " : "",
		    sim_path ? sim_path : "", ctl_path ? ", control on " : "",
		    ctl_path ? ctl_path : "");
		loop_run(p.loop);
	}
	ctl_free(p.ctl);
	psim_host_close(&p);
	psim_calls_free(&p);
	for (unsigned no = 1; no <= PSIM_MAX_SPANS; no++)
		psim_span_free(p.span[no]);
	psim_events_fini(&p);
	psim_sim_io_fini();
	if (sfd >= 0) {
		loop_io_del(p.loop, &sig_io);
		close(sfd);
	}
	loop_free(p.loop);
	return rc ? 1 : 0;
}

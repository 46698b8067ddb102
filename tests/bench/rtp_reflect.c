/*
 * RTP reflector for the media benchmark (bench_media.py): one UDP socket,
 * every datagram sent straight back to its source (recvmmsg/sendmmsg in
 * batches), packets counted and, per RTP SSRC, sequence gaps counted as
 * loss (RFC 3550 A.3: expected = highest extended sequence - first + 1,
 * lost = expected - received). The counters go to a stats file (JSON,
 * rewritten every 250 ms) and to stdout on SIGTERM or SIGINT.
 *
 *   rtp_reflect [-a ADDR] [-p PORT] [-s STATSFILE]
 *
 * Prints "port N" once bound (PORT 0, the default: any free port).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH	   64
#define PKT_MAX	   1500	     /* bytes */
#define SSRC_SLOTS 16384     /* open addressing; more than any run's streams */
#define RCVBUF	   (8 << 20) /* bytes */
#define STATS_MS   250

struct stream {
	uint32_t ssrc;
	int used;
	uint32_t base;	  /* first sequence number */
	uint32_t max_ext; /* highest extended sequence number */
	uint64_t received;
};

struct counters {
	uint64_t packets, bytes, echoed, send_errors, not_rtp, streams;
	uint64_t full; /* no slot left for a new SSRC */
};

static struct stream streams[SSRC_SLOTS];
static struct counters cnt;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static struct stream *stream_of(uint32_t ssrc)
{
	uint32_t h = (ssrc * 2654435761u) % SSRC_SLOTS;
	for (unsigned i = 0; i < SSRC_SLOTS; i++) {
		struct stream *s = &streams[(h + i) % SSRC_SLOTS];
		if (s->used && s->ssrc == ssrc)
			return s;
		if (!s->used) {
			s->used = 1;
			s->ssrc = ssrc;
			cnt.streams++;
			return s;
		}
	}
	cnt.full++;
	return NULL;
}

/* RFC 3550 §5.1 header: version 2, at least 12 bytes. */
static void account(const uint8_t *p, size_t n)
{
	cnt.packets++;
	cnt.bytes += n;
	if (n < 12 || (p[0] >> 6) != 2) {
		cnt.not_rtp++;
		return;
	}
	uint16_t seq = (uint16_t)(p[2] << 8 | p[3]);
	uint32_t ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 |
			(uint32_t)p[10] << 8 | p[11];
	struct stream *s = stream_of(ssrc);
	if (!s)
		return;
	if (!s->received) {
		s->base = s->max_ext = seq;
	} else {
		/* RFC 3550 A.1: the extended number nearest the highest */
		int16_t d = (int16_t)(seq - (uint16_t)s->max_ext);
		if (d > 0)
			s->max_ext += (uint32_t)d;
	}
	s->received++;
}

static void totals(uint64_t *expected, uint64_t *lost, uint64_t *received)
{
	*expected = *lost = *received = 0;
	for (unsigned i = 0; i < SSRC_SLOTS; i++) {
		const struct stream *s = &streams[i];
		if (!s->used)
			continue;
		uint64_t e = (uint64_t)(s->max_ext - s->base) + 1;
		*expected += e;
		*received += s->received;
		if (e > s->received)
			*lost += e - s->received;
	}
}

static void print_stats(FILE *f)
{
	uint64_t expected, lost, received;
	totals(&expected, &lost, &received);
	fprintf(
	    f,
	    "{\"packets\":%llu,\"bytes\":%llu,\"echoed\":%llu,"
	    "\"send_errors\":%llu,\"not_rtp\":%llu,\"ssrcs\":%llu,"
	    "\"ssrc_table_full\":%llu,\"rtp_received\":%llu,"
	    "\"expected\":%llu,\"lost\":%llu}\n",
	    (unsigned long long)cnt.packets, (unsigned long long)cnt.bytes,
	    (unsigned long long)cnt.echoed, (unsigned long long)cnt.send_errors,
	    (unsigned long long)cnt.not_rtp, (unsigned long long)cnt.streams,
	    (unsigned long long)cnt.full, (unsigned long long)received,
	    (unsigned long long)expected, (unsigned long long)lost);
}

/* Rewrites path atomically (temporary file + rename). */
static void write_stats(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	print_stats(f);
	if (fclose(f) == 0)
		rename(tmp, path);
}

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static int open_socket(const char *addr, unsigned port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "rtp_reflect: bad address %s\n", addr);
		return -1;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int buf = RCVBUF;
	struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("rtp_reflect: socket/bind");
		return -1;
	}
	/* root may exceed rmem_max; others get what the sysctl allows */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	socklen_t sl = sizeof(sin);
	getsockname(fd, (struct sockaddr *)&sin, &sl);
	printf("port %u\n", ntohs(sin.sin_port));
	fflush(stdout);
	return fd;
}

/* Sends the batch back, retrying what sendmmsg did not take. */
static void echo_batch(int fd, struct mmsghdr *msg, unsigned n)
{
	unsigned off = 0;
	while (off < n) {
		int r = sendmmsg(fd, msg + off, n - off, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			cnt.send_errors++; /* skip the one that failed */
			off++;
			continue;
		}
		cnt.echoed += (unsigned)r;
		off += (unsigned)r;
	}
}

static void serve(int fd, const char *stats)
{
	static uint8_t buf[BATCH][PKT_MAX];
	struct sockaddr_in from[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr msg[BATCH];
	uint64_t next = now_ms() + STATS_MS;
	while (!stop) {
		for (unsigned i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){buf[i], PKT_MAX};
			msg[i].msg_hdr = (struct msghdr){
			    .msg_name = &from[i],
			    .msg_namelen = sizeof(from[i]),
			    .msg_iov = &iov[i],
			    .msg_iovlen = 1,
			};
		}
		int n = recvmmsg(fd, msg, BATCH, MSG_WAITFORONE, NULL);
		if (n > 0) {
			for (int i = 0; i < n; i++) {
				account(buf[i], msg[i].msg_len);
				iov[i].iov_len = msg[i].msg_len;
			}
			echo_batch(fd, msg, (unsigned)n);
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			perror("rtp_reflect: recvmmsg");
			break;
		}
		if (stats && now_ms() >= next) {
			write_stats(stats);
			next = now_ms() + STATS_MS;
		}
	}
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *stats = NULL;
	unsigned port = 0;
	int opt;
	while ((opt = getopt(argc, argv, "a:p:s:")) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			stats = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: rtp_reflect [-a ADDR] [-p PORT] "
				"[-s STATSFILE]\n");
			return 2;
		}
	}
	if (port > 65535) {
		fprintf(stderr, "rtp_reflect: bad port\n");
		return 2;
	}
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	int fd = open_socket(addr, port);
	if (fd < 0)
		return 1;
	serve(fd, stats);
	if (stats)
		write_stats(stats);
	print_stats(stdout);
	close(fd);
	return 0;
}

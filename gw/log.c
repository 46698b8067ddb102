/*
 * Logging back end: formats one line into a stack buffer and writes it in
 * one call, so lines from media threads never interleave.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

enum log_level log_level_cur = LOG_LVL_INFO;
static enum log_sink log_sink_cur = LOG_SINK_STDERR;
static const char *log_ident = "gw";

static const char *const level_names[] = {
    [LOG_LVL_ERR] = "err",	 [LOG_LVL_WARN] = "warn",
    [LOG_LVL_NOTICE] = "notice", [LOG_LVL_INFO] = "info",
    [LOG_LVL_DEBUG] = "debug",
};

static const int level_syslog[] = {
    [LOG_LVL_ERR] = LOG_ERR,	   [LOG_LVL_WARN] = LOG_WARNING,
    [LOG_LVL_NOTICE] = LOG_NOTICE, [LOG_LVL_INFO] = LOG_INFO,
    [LOG_LVL_DEBUG] = LOG_DEBUG,
};

void log_init(const char *ident, enum log_sink sink, enum log_level level)
{
	if (log_sink_cur == LOG_SINK_SYSLOG && sink != LOG_SINK_SYSLOG)
		closelog();
	log_ident = ident;
	log_sink_cur = sink;
	log_level_cur = level;
	if (sink == LOG_SINK_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(enum log_level level)
{
	log_level_cur = level;
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	     i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *log_level_name(enum log_level level)
{
	return level_names[level];
}

/* Appends s to buf as JSON string content; returns the new length. */
static size_t json_escape_into(char *buf, size_t len, size_t cap, const char *s)
{
	for (; *s && len + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[len++] = '\\';
			buf[len++] = (char)c;
		} else if (c < 0x20) {
			len += (size_t)snprintf(buf + len, cap - len, "\\u%04x",
						c);
		} else {
			buf[len++] = (char)c;
		}
	}
	return len;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char msg[1024];
	char line[1400];
	int saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_sink_cur == LOG_SINK_SYSLOG) {
		syslog(level_syslog[level], "%s", msg);
		errno = saved;
		return;
	}

	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n;
	if (log_sink_cur == LOG_SINK_JSON) {
		n = (size_t)snprintf(
		    line, sizeof(line),
		    "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d."
		    "%03ldZ\",\"prog\":\"%s\",\"level\":\"%s\","
		    "\"msg\":\"",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_ident,
		    level_names[level]);
		n = json_escape_into(line, n, sizeof(line) - 3, msg);
		line[n++] = '"';
		line[n++] = '}';
	} else {
		n = (size_t)snprintf(
		    line, sizeof(line), "%02d:%02d:%02d.%03ld %s %s: %s",
		    tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
		    log_ident, level_names[level], msg);
		if (n > sizeof(line) - 2)
			n = sizeof(line) - 2;
	}
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, n);
	(void)w;
	errno = saved;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}

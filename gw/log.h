/*
 * Logging for gwd and the tools: levelled, printf-checked, to stderr (with
 * a timestamp) or syslog, optionally as JSON lines for machines. Formatting
 * is skipped when the level is off. Thread-safe: each line is written with
 * a single write(2).
 */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level {
	LOG_LVL_ERR,
	LOG_LVL_WARN,
	LOG_LVL_NOTICE,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

enum log_sink {
	LOG_SINK_STDERR,
	LOG_SINK_SYSLOG,
	LOG_SINK_JSON, /* one JSON object per line on stderr */
};

/* The current threshold; read without locking (a stale read is harmless). */
extern enum log_level log_level_cur;

/* Sets the program name, sink and threshold. Safe to call again (reload). */
void log_init(const char *ident, enum log_sink sink, enum log_level level);
void log_set_level(enum log_level level);

/* Parses "err|warn|notice|info|debug"; returns 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Logs at LOG_LVL_ERR and exits 1: for start-up errors and broken invariants.
 */
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#define log_enabled(lvl) ((lvl) <= log_level_cur)
#define LOG_AT(lvl, ...)                                                       \
	do {                                                                   \
		if (log_enabled(lvl))                                          \
			log_msg((lvl), __VA_ARGS__);                           \
	} while (0)
#define log_err(...)	LOG_AT(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	LOG_AT(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...) LOG_AT(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)	LOG_AT(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	LOG_AT(LOG_LVL_DEBUG, __VA_ARGS__)

#endif

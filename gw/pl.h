/*
 * Pointer-length views into a buffer someone else owns (zero-copy parsing):
 * a `struct pl` is valid as long as the buffer it points into.
 */
#ifndef GW_PL_H
#define GW_PL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

struct pl {
	const char *p;
	size_t l;
};

#define PL(s) ((struct pl){(s), sizeof(s) - 1})
#define PL_INIT                                                                \
	{                                                                      \
		NULL, 0                                                        \
	}

static inline struct pl pl_from(const char *s)
{
	return (struct pl){s, s ? strlen(s) : 0};
}

static inline bool pl_isset(struct pl a)
{
	return a.p != NULL;
}

static inline bool pl_eq(struct pl a, struct pl b)
{
	return a.l == b.l && (a.l == 0 || memcmp(a.p, b.p, a.l) == 0);
}

static inline bool pl_eq_str(struct pl a, const char *s)
{
	size_t n = strlen(s);
	return a.l == n && (n == 0 || memcmp(a.p, s, n) == 0);
}

/* Case-insensitive comparison (ASCII), as SIP tokens compare. */
static inline bool pl_casecmp_str(struct pl a, const char *s)
{
	size_t n = strlen(s);
	return a.l == n && (n == 0 || strncasecmp(a.p, s, n) == 0);
}

static inline bool pl_caseeq(struct pl a, struct pl b)
{
	return a.l == b.l && (a.l == 0 || strncasecmp(a.p, b.p, a.l) == 0);
}

/* Copies into buf (NUL-terminated, truncated to cap-1); returns buf. */
static inline char *pl_strcpy(struct pl a, char *buf, size_t cap)
{
	size_t n = a.l < cap - 1 ? a.l : cap - 1;
	if (n)
		memcpy(buf, a.p, n);
	buf[n] = '\0';
	return buf;
}

#endif

/*
 * INI tokenizer (see ini.h): strict about shape (unterminated section
 * headers, keys without '=', over-long lines, NUL bytes are errors) and
 * silent about meaning, which belongs to the caller.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static int perr(const struct ini_pos *pos, char *err, size_t cap,
		const char *msg)
{
	snprintf(err, cap, "%s:%u: %s", pos->file, pos->line, msg);
	return -EINVAL;
}

static int valid_word(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_-.:/+*#@", *s))
			return 0;
	return 1;
}

struct ini_state {
	char section[64];
	char name[128];
	int have_section;
};

static int do_section(struct ini_state *st, const struct ini_pos *pos, char *s,
		      ini_fn *fn, void *arg, char *err, size_t cap)
{
	char *end = strchr(s, ']');
	if (!end || trim(end + 1)[0] != '\0')
		return perr(pos, err, cap, "malformed section header");
	*end = '\0';
	char *sec = trim(s + 1), *name = NULL;
	char *sp = strpbrk(sec, " \t");
	if (sp) {
		*sp = '\0';
		name = trim(sp + 1);
	}
	if (!valid_word(sec) || (name && !valid_word(name)))
		return perr(pos, err, cap, "malformed section header");
	if (strlen(sec) >= sizeof(st->section) ||
	    (name && strlen(name) >= sizeof(st->name)))
		return perr(pos, err, cap, "section name too long");
	strcpy(st->section, sec);
	strcpy(st->name, name ? name : "");
	st->have_section = 1;
	char msg[256] = "";
	int rc = fn(arg, pos, st->section, name ? st->name : NULL, NULL, NULL,
		    msg, sizeof(msg));
	return rc ? perr(pos, err, cap, msg) : 0;
}

static int do_line(struct ini_state *st, const struct ini_pos *pos, char *line,
		   ini_fn *fn, void *arg, char *err, size_t cap)
{
	char *s = trim(line);
	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[')
		return do_section(st, pos, s, fn, arg, err, cap);
	char *eq = strchr(s, '=');
	if (!eq)
		return perr(pos, err, cap, "expected 'key = value'");
	*eq = '\0';
	char *key = trim(s), *val = trim(eq + 1);
	if (!valid_word(key))
		return perr(pos, err, cap, "malformed key");
	if (!st->have_section)
		return perr(pos, err, cap, "key outside of any [section]");
	char msg[256] = "";
	int rc = fn(arg, pos, st->section, st->name[0] ? st->name : NULL, key,
		    val, msg, sizeof(msg));
	return rc ? perr(pos, err, cap, msg) : 0;
}

int ini_parse_buf(const char *file, const char *buf, size_t len, ini_fn *fn,
		  void *arg, char *err, size_t errcap)
{
	struct ini_state st = {0};
	struct ini_pos pos = {file, 0};
	char line[INI_MAX_LINE + 1];
	size_t i = 0;
	while (i < len) {
		pos.line++;
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (buf + i)) : len - i;
		if (n > INI_MAX_LINE)
			return perr(&pos, err, errcap, "line too long");
		if (memchr(buf + i, '\0', n))
			return perr(&pos, err, errcap, "NUL byte in line");
		memcpy(line, buf + i, n);
		line[n] = '\0';
		int rc = do_line(&st, &pos, line, fn, arg, err, errcap);
		if (rc)
			return rc;
		i += n + (nl ? 1 : 0);
	}
	return 0;
}

int ini_parse_file(const char *path, ini_fn *fn, void *arg, char *err,
		   size_t errcap)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		snprintf(err, errcap, "%s: %s", path, strerror(e));
		return -e;
	}
	size_t cap = 8192, len = 0, r;
	char *buf = malloc(cap);
	while (buf && (r = fread(buf + len, 1, cap - len, f)) > 0) {
		len += r;
		if (len == cap) {
			char *nb =
			    cap < (16u << 20) ? realloc(buf, cap * 2) : NULL;
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	int rerr = ferror(f);
	fclose(f);
	if (!buf || rerr) {
		free(buf);
		snprintf(err, errcap, "%s: %s", path,
			 rerr ? "read error" : "file too large");
		return rerr ? -EIO : -EFBIG;
	}
	int rc = ini_parse_buf(path, buf, len, fn, arg, err, errcap);
	free(buf);
	return rc;
}

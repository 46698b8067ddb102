/*
 * Reader for the INI-style files of gwd and pstnsim:
 *
 *   # comment (whole lines only; values may contain '#')
 *   [section]          or   [section name]
 *   key = value
 *
 * The reader only tokenizes; the caller's handler gives keys meaning and
 * reports errors, which come back prefixed with "file:line: ".
 */
#ifndef GW_INI_H
#define GW_INI_H

#include <stddef.h>

#define INI_MAX_LINE 1024

struct ini_pos {
	const char *file;
	unsigned line;
};

/*
 * Called once at each section header (key == NULL) and once per key. Returns
 * 0, or -EINVAL with a message (without position) written into err.
 */
typedef int ini_fn(void *arg, const struct ini_pos *pos, const char *section,
		   const char *name, const char *key, const char *value,
		   char *err, size_t errcap);

/*
 * Parses the file. Returns 0, -errno when it cannot be read (err says so),
 * or the handler's error; err then holds "file:line: message".
 */
int ini_parse_file(const char *path, ini_fn *fn, void *arg, char *err,
		   size_t errcap);
/* The same for text in memory; `file` names it in messages. */
int ini_parse_buf(const char *file, const char *buf, size_t len, ini_fn *fn,
		  void *arg, char *err, size_t errcap);

#endif

/*
 * The configuration's key tables (internal to conf*.c): one row per key
 * with its type, place in the section struct, range or names, default and
 * help text. Parsing, defaults, messages and printing all read these rows.
 */
#ifndef GW_CONF_KEYS_H
#define GW_CONF_KEYS_H

#include <stddef.h>

#include "conf.h"

enum conf_kind {
	CK_UINT,
	CK_BOOL,
	CK_STR,
	CK_ENUM,
	CK_CHANS,    /* timeslot list "1-15,17-31" -> uint32_t mask */
	CK_SPANLIST, /* span list "1,2,5-8" -> conf_tg.spans */
	CK_LISTEN,   /* "udp:127.0.0.1:5060, tcp:[::1]:5060" */
};

struct conf_enum {
	const char *name;
	unsigned val;
};

struct conf_key {
	const char *name;
	enum conf_kind kind;
	size_t off;  /* offset in the section struct */
	size_t size; /* CK_STR: buffer size */
	unsigned min, max;
	const struct conf_enum *enums; /* CK_ENUM: NULL-terminated */
	const char *dflt; /* parsed like a value; NULL: derived or required */
	const char *help;
};

struct conf_section {
	const char *name;
	bool named; /* [span N], [trunkgroup NAME] */
	const struct conf_key *keys;
	unsigned nkeys;
};

extern const struct conf_section conf_sec_general, conf_sec_span, conf_sec_tg,
    conf_sec_sip;

/* Index of key `name` in section sec, or -1. */
int conf_key_find(const struct conf_section *sec, const char *name);

/*
 * Parses `value` for key k into the section struct at base. Returns 0 or
 * -EINVAL with a message in err.
 */
int conf_key_parse(const struct conf_key *k, void *base, const char *value,
		   char *err, size_t errcap);

/* Formats the key's current value in canonical form. */
void conf_key_format(const struct conf_key *k, const void *base, char *buf,
		     size_t cap);

/* Formats a timeslot mask as "1-15,17-31". */
void conf_chans_format(uint32_t mask, char *buf, size_t cap);

#endif

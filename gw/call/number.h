/*
 * Number normalisation between the forms a PRI carries (digits with a type
 * of number and numbering plan, ITU-T Q.931 §4.5.8/4.5.10) and E.164
 * ("+4930123456"), which the gateway routes, bills and puts into SIP. Each
 * trunk group has a numbering plan: its country and area codes, national
 * and international prefixes, and the form numbers are sent in.
 */
#ifndef GW_NUMBER_H
#define GW_NUMBER_H

#include <stdbool.h>
#include <stddef.h>

#define NUMBER_MAX 32 /* digits, plus '+' and NUL */

/* Q.931 type of number (octet 3, bits 7-5). */
enum number_ton {
	NUMBER_TON_UNKNOWN = 0,
	NUMBER_TON_INTERNATIONAL = 1,
	NUMBER_TON_NATIONAL = 2,
	NUMBER_TON_NETWORK = 3,
	NUMBER_TON_SUBSCRIBER = 4,
	NUMBER_TON_ABBREVIATED = 6,
};

/* How numbers are sent on a trunk group's spans. */
enum number_format {
	NUMBER_FMT_INTERNATIONAL, /* TON international, no prefix */
	NUMBER_FMT_NATIONAL,	  /* TON national for own country, else intl */
	NUMBER_FMT_UNKNOWN,	  /* TON unknown, with dialling prefixes */
	NUMBER_FMT_SUBSCRIBER, /* TON subscriber in own area, else national */
};

struct number_plan {
	char country_code[5];	 /* "49" */
	char area_code[8];	 /* "30", or "" */
	char national_prefix[5]; /* "0" */
	char intl_prefix[5];	 /* "00" */
	enum number_format called_format, calling_format;
};

/* A number as a PRI carries it. */
struct number_isdn {
	char digits[NUMBER_MAX];
	enum number_ton ton;
	unsigned npi; /* 1 = ISDN/E.164 */
};

/*
 * Turns a number received on the PRI into E.164 ("+..."). Returns 0, or
 * -EINVAL for digits that are not a dialable number (non-digits, empty,
 * too long) — callers answer those with cause 28.
 */
int number_to_e164(const struct number_plan *np, const struct number_isdn *in,
		   char out[NUMBER_MAX]);

/*
 * Turns an E.164 number (or a bare digit string, taken as already in the
 * span's form) into what to send on the PRI in the given format. Returns 0
 * or -EINVAL.
 */
int number_from_e164(const struct number_plan *np, const char *e164,
		     enum number_format fmt, struct number_isdn *out);

/* True if s is "+" followed by 1..15 digits (E.164 §6). */
bool number_is_e164(const char *s);

/* Parses "international|national|unknown|subscriber". 0 or -EINVAL. */
int number_format_parse(const char *s, enum number_format *out);
const char *number_format_name(enum number_format f);

#endif

/*
 * Number normalisation (see number.h). E.164 numbers are at most 15 digits
 * (ITU-T E.164 §6); digit strings received with TON unknown are analysed
 * by their dialling prefixes, the way a national switch would.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "number.h"

#define E164_MAX_DIGITS 15

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool has_prefix(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	return n && strncmp(s, prefix, n) == 0;
}

bool number_is_e164(const char *s)
{
	return s[0] == '+' && all_digits(s + 1) &&
	       strlen(s + 1) <= E164_MAX_DIGITS;
}

static int join(char out[NUMBER_MAX], const char *a, const char *b,
		const char *c)
{
	int n = snprintf(out, NUMBER_MAX, "+%s%s%s", a, b, c);
	if (n < 0 || n >= NUMBER_MAX || !number_is_e164(out))
		return -EINVAL;
	return 0;
}

int number_to_e164(const struct number_plan *np, const struct number_isdn *in,
		   char out[NUMBER_MAX])
{
	const char *d = in->digits;
	if (d[0] == '+')
		return number_is_e164(d) ? join(out, d + 1, "", "") : -EINVAL;
	if (!all_digits(d))
		return -EINVAL;
	switch (in->ton) {
	case NUMBER_TON_INTERNATIONAL:
		return join(out, d, "", "");
	case NUMBER_TON_NATIONAL:
		return join(out, np->country_code, d, "");
	case NUMBER_TON_SUBSCRIBER:
		return join(out, np->country_code, np->area_code, d);
	case NUMBER_TON_UNKNOWN:
	case NUMBER_TON_NETWORK:
	case NUMBER_TON_ABBREVIATED:
		break;
	}
	/* TON unknown: the prefixes tell (international first: "00" starts
	 * with the national "0") */
	if (has_prefix(d, np->intl_prefix))
		return join(out, d + strlen(np->intl_prefix), "", "");
	if (has_prefix(d, np->national_prefix))
		return join(out, np->country_code,
			    d + strlen(np->national_prefix), "");
	if (np->area_code[0])
		return join(out, np->country_code, np->area_code, d);
	return join(out, np->country_code, d, "");
}

static int put(struct number_isdn *out, enum number_ton ton, const char *a,
	       const char *b)
{
	int n = snprintf(out->digits, sizeof(out->digits), "%s%s", a, b);
	if (n < 0 || (size_t)n >= sizeof(out->digits))
		return -EINVAL;
	out->ton = ton;
	out->npi = 1; /* ISDN/telephony numbering plan, E.164 */
	return 0;
}

int number_from_e164(const struct number_plan *np, const char *e164,
		     enum number_format fmt, struct number_isdn *out)
{
	if (e164[0] != '+') {
		/* not E.164: already in the span's own form, sent as is */
		if (!all_digits(e164))
			return -EINVAL;
		return put(out, NUMBER_TON_UNKNOWN, e164, "");
	}
	if (!number_is_e164(e164))
		return -EINVAL;
	const char *intl = e164 + 1;
	bool domestic = has_prefix(intl, np->country_code);
	const char *national =
	    domestic ? intl + strlen(np->country_code) : NULL;
	bool local = domestic && has_prefix(national, np->area_code);
	switch (fmt) {
	case NUMBER_FMT_INTERNATIONAL:
		break;
	case NUMBER_FMT_SUBSCRIBER:
		if (local)
			return put(out, NUMBER_TON_SUBSCRIBER,
				   national + strlen(np->area_code), "");
		/* fall through: not local, send it national */
		__attribute__((fallthrough));
	case NUMBER_FMT_NATIONAL:
		if (domestic)
			return put(out, NUMBER_TON_NATIONAL, national, "");
		break;
	case NUMBER_FMT_UNKNOWN:
		if (domestic)
			return put(out, NUMBER_TON_UNKNOWN, np->national_prefix,
				   national);
		return put(out, NUMBER_TON_UNKNOWN, np->intl_prefix, intl);
	}
	return put(out, NUMBER_TON_INTERNATIONAL, intl, "");
}

static const char *const format_names[] = {
    [NUMBER_FMT_INTERNATIONAL] = "international",
    [NUMBER_FMT_NATIONAL] = "national",
    [NUMBER_FMT_UNKNOWN] = "unknown",
    [NUMBER_FMT_SUBSCRIBER] = "subscriber",
};

int number_format_parse(const char *s, enum number_format *out)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]);
	     i++) {
		if (strcmp(s, format_names[i]) == 0) {
			*out = (enum number_format)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *number_format_name(enum number_format f)
{
	return format_names[f];
}

/* Unit tests for number normalisation: PRI (digits, TON) <-> E.164, for a
 * German plan (prefixes 0/00, area 30) and a North American one. */
#include <stdio.h>
#include <string.h>

#include "call/number.h"
#include "t.h"

static const struct number_plan de = {
    .country_code = "49",
    .area_code = "30",
    .national_prefix = "0",
    .intl_prefix = "00",
};
static const struct number_plan us = {
    .country_code = "1",
    .area_code = "",
    .national_prefix = "1",
    .intl_prefix = "011",
};

struct in_case {
	const struct number_plan *np;
	const char *digits;
	enum number_ton ton;
	const char *want; /* NULL: rejected */
};

static const struct in_case in_cases[] = {
    {&de, "4930123456", NUMBER_TON_INTERNATIONAL, "+4930123456"},
    {&de, "30123456", NUMBER_TON_NATIONAL, "+4930123456"},
    {&de, "123456", NUMBER_TON_SUBSCRIBER, "+4930123456"},
    {&de, "004930123456", NUMBER_TON_UNKNOWN, "+4930123456"},
    {&de, "0044207946000", NUMBER_TON_UNKNOWN, "+44207946000"},
    {&de, "030123456", NUMBER_TON_UNKNOWN, "+4930123456"},
    {&de, "123456", NUMBER_TON_UNKNOWN, "+4930123456"},
    {&de, "+4930123456", NUMBER_TON_UNKNOWN, "+4930123456"},
    {&us, "2125551234", NUMBER_TON_NATIONAL, "+12125551234"},
    {&us, "12125551234", NUMBER_TON_UNKNOWN, "+12125551234"},
    {&us, "01144207946000", NUMBER_TON_UNKNOWN, "+44207946000"},
    {&de, "", NUMBER_TON_UNKNOWN, NULL},
    {&de, "30A23", NUMBER_TON_NATIONAL, NULL},
    {&de, "1234567890123456", NUMBER_TON_INTERNATIONAL, NULL},
    {&de, "+49", NUMBER_TON_UNKNOWN, "+49"},
    {&de, "+", NUMBER_TON_UNKNOWN, NULL},
};

TEST(received_numbers_become_e164)
{
	for (size_t i = 0; i < sizeof(in_cases) / sizeof(in_cases[0]); i++) {
		const struct in_case *c = &in_cases[i];
		struct number_isdn in = {.ton = c->ton, .npi = 1};
		char out[NUMBER_MAX] = "";
		snprintf(in.digits, sizeof(in.digits), "%s", c->digits);
		int rc = number_to_e164(c->np, &in, out);
		if (!c->want) {
			if (rc == 0)
				t_fail(__FILE__, __LINE__,
				       "'%s' accepted as %s", c->digits, out);
			CHECK(rc != 0);
			continue;
		}
		if (rc != 0 || strcmp(out, c->want) != 0)
			t_fail(__FILE__, __LINE__,
			       "'%s' ton %d -> '%s' (%d), "
			       "want '%s'",
			       c->digits, c->ton, out, rc, c->want);
		CHECK(rc == 0 && strcmp(out, c->want) == 0);
	}
}

struct out_case {
	const struct number_plan *np;
	const char *e164;
	enum number_format fmt;
	const char *digits;
	enum number_ton ton;
};

static const struct out_case out_cases[] = {
    {&de, "+4930123456", NUMBER_FMT_INTERNATIONAL, "4930123456",
     NUMBER_TON_INTERNATIONAL},
    {&de, "+4930123456", NUMBER_FMT_NATIONAL, "30123456", NUMBER_TON_NATIONAL},
    {&de, "+44207946000", NUMBER_FMT_NATIONAL, "44207946000",
     NUMBER_TON_INTERNATIONAL},
    {&de, "+4930123456", NUMBER_FMT_UNKNOWN, "030123456", NUMBER_TON_UNKNOWN},
    {&de, "+44207946000", NUMBER_FMT_UNKNOWN, "0044207946000",
     NUMBER_TON_UNKNOWN},
    {&de, "+4930123456", NUMBER_FMT_SUBSCRIBER, "123456",
     NUMBER_TON_SUBSCRIBER},
    {&de, "+4989123456", NUMBER_FMT_SUBSCRIBER, "89123456",
     NUMBER_TON_NATIONAL},
    {&de, "1010", NUMBER_FMT_INTERNATIONAL, "1010", NUMBER_TON_UNKNOWN},
    {&us, "+12125551234", NUMBER_FMT_NATIONAL, "2125551234",
     NUMBER_TON_NATIONAL},
    {&us, "+44207946000", NUMBER_FMT_UNKNOWN, "01144207946000",
     NUMBER_TON_UNKNOWN},
};

TEST(e164_numbers_are_sent_in_the_trunk_groups_form)
{
	for (size_t i = 0; i < sizeof(out_cases) / sizeof(out_cases[0]); i++) {
		const struct out_case *c = &out_cases[i];
		struct number_isdn out;
		int rc = number_from_e164(c->np, c->e164, c->fmt, &out);
		if (rc || strcmp(out.digits, c->digits) || out.ton != c->ton)
			t_fail(__FILE__, __LINE__,
			       "%s as %s -> '%s' ton %d "
			       "(%d), want '%s' ton %d",
			       c->e164, number_format_name(c->fmt), out.digits,
			       out.ton, rc, c->digits, c->ton);
		CHECK(rc == 0 && strcmp(out.digits, c->digits) == 0 &&
		      out.ton == c->ton);
	}
	struct number_isdn out;
	CHECK(number_from_e164(&de, "+49x", NUMBER_FMT_NATIONAL, &out) != 0);
	CHECK(number_from_e164(&de, "12*3", NUMBER_FMT_NATIONAL, &out) != 0);
}

TEST(round_trip_through_every_format)
{
	static const char *const nums[] = {"+4930123456", "+4989555",
					   "+12125551234", "+861012345678"};
	for (size_t i = 0; i < 4; i++) {
		for (int f = NUMBER_FMT_INTERNATIONAL;
		     f <= NUMBER_FMT_SUBSCRIBER; f++) {
			struct number_isdn w;
			char back[NUMBER_MAX];
			CHECK(number_from_e164(&de, nums[i],
					       (enum number_format)f, &w) == 0);
			CHECK(number_to_e164(&de, &w, back) == 0);
			CHECK_STR(back, nums[i]);
		}
	}
}

TEST(format_names)
{
	enum number_format f;
	CHECK(number_format_parse("national", &f) == 0);
	CHECK_INT(f, NUMBER_FMT_NATIONAL);
	CHECK(number_format_parse("e164", &f) != 0);
	CHECK_STR(number_format_name(NUMBER_FMT_UNKNOWN), "unknown");
}

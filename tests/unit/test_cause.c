/* Unit tests for the Q.850 <-> SIP cause mapping: every row of RFC 3398
 * §7.2.4.1 and §8.2.6.1 from tests/vectors/causes, the transient-cause
 * rule, class defaults and per-trunk-group overrides. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "call/cause.h"
#include "t.h"

/* Runs fn(from, to) for each "from to" line of a vector file. */
static int for_rows(const char *rel, bool (*fn)(int, int), unsigned *rows)
{
	char path[512], line[128];
	t_vector_path(rel, path, sizeof(path));
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	*rows = 0;
	int bad = 0;
	while (fgets(line, sizeof(line), f)) {
		int a, b;
		if (line[0] == '#' || sscanf(line, "%d %d", &a, &b) != 2)
			continue;
		(*rows)++;
		if (!fn(a, b))
			bad++;
	}
	fclose(f);
	return bad;
}

static struct cause_map map;

static bool row_q850(int cause, int status)
{
	int got = cause_to_sip(&map, cause);
	if (got != status)
		t_fail(__FILE__, __LINE__, "cause %d -> %d, want %d", cause,
		       got, status);
	return got == status;
}

static bool row_sip(int status, int cause)
{
	int got = cause_from_sip(&map, status);
	if (got != cause)
		t_fail(__FILE__, __LINE__, "status %d -> cause %d, want %d",
		       status, got, cause);
	return got == cause;
}

TEST(rfc3398_q850_to_sip_table)
{
	unsigned rows;
	cause_map_init(&map);
	CHECK_INT(for_rows("tests/vectors/causes/rfc3398_q850_to_sip.txt",
			   row_q850, &rows),
		  0);
	CHECK(rows >= 37);
}

TEST(rfc3398_sip_to_q850_table)
{
	unsigned rows;
	cause_map_init(&map);
	CHECK_INT(for_rows("tests/vectors/causes/rfc3398_sip_to_q850.txt",
			   row_sip, &rows),
		  0);
	CHECK(rows >= 43);
}

TEST(every_cause_maps_to_a_failure_status_and_transients_never_to_6xx)
{
	cause_map_init(&map);
	for (int c = 0; c <= CAUSE_MAX; c++) {
		int s = cause_to_sip(&map, c);
		CHECK(s >= 300 && s <= 699);
		if (cause_is_transient(c))
			CHECK(s < 600);
	}
	CHECK(cause_is_transient(34) && cause_is_transient(38) &&
	      cause_is_transient(41) && cause_is_transient(42) &&
	      cause_is_transient(44) && cause_is_transient(47));
	CHECK(!cause_is_transient(17) && !cause_is_transient(16));
	CHECK_INT(cause_to_sip(&map, -1), 480);
	CHECK_INT(cause_to_sip(&map, 500), 480);
	CHECK_INT(cause_from_sip(&map, 200), 31);
}

TEST(overrides_apply_and_transient_to_6xx_is_refused)
{
	char err[256];
	cause_map_init(&map);
	CHECK_INT(
	    cause_map_parse_q850(&map, "17:600, 21:603", err, sizeof(err)), 0);
	CHECK_INT(cause_to_sip(&map, 17), 600);
	CHECK_INT(cause_to_sip(&map, 21), 603);
	CHECK(map.overridden_q850[17] && !map.overridden_q850[18]);
	CHECK_INT(cause_map_parse_sip(&map, "404:3,480:19", err, sizeof(err)),
		  0);
	CHECK_INT(cause_from_sip(&map, 404), 3);
	CHECK_INT(cause_from_sip(&map, 480), 19);
	CHECK_INT(cause_map_parse_q850(&map, "34:603", err, sizeof(err)),
		  -EINVAL);
	CHECK_STR(err, "cause 34 is transient and must not map to 603: a 6xx "
		       "stops the proxy from trying another gateway");
	CHECK_INT(cause_to_sip(&map, 34), 503);
	CHECK_INT(cause_map_parse_q850(&map, "200:404", err, sizeof(err)),
		  -EINVAL);
	CHECK_INT(cause_map_parse_sip(&map, "404", err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "bad mapping list '404': want FROM:TO pairs separated "
		       "by commas");
	CHECK_INT(cause_map_parse_sip(&map, "700:1", err, sizeof(err)),
		  -EINVAL);
}

TEST(names)
{
	CHECK_STR(cause_text(16), "Normal call clearing");
	CHECK_STR(cause_text(34), "No circuit/channel available");
	CHECK_STR(cause_text(45), "Unknown cause");
	CHECK_STR(cause_text(-3), "Unknown cause");
	CHECK_STR(cause_sip_reason(486), "Busy Here");
	CHECK_STR(cause_sip_reason(599), "Server Error");
}

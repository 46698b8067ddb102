/* Unit tests for the configuration: golden normalised output, round trip,
 * and one test per class of error with the exact message. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "conf.h"
#include "t.h"

static char *print_conf(const struct conf *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	conf_print(c, f);
	fclose(f);
	return buf;
}

TEST(golden_normalised_output)
{
	char path[512], err[512];
	struct conf *c = NULL;
	t_vector_path("tests/vectors/conf/basic.conf", path, sizeof(path));
	int rc = conf_load(&c, path, err, sizeof(err));
	if (rc)
		t_fail(__FILE__, __LINE__, "%s", err);
	CHECK(rc == 0);
	char *got = print_conf(c);
	t_vector_path("tests/vectors/conf/basic.out", path, sizeof(path));
	char *want = t_read_file(path, NULL);
	CHECK(want != NULL);
	CHECK_STR(got, want);
	free(got);
	free(want);
	conf_free(c);
}

TEST(printed_config_parses_back_to_itself)
{
	char path[512], err[512];
	struct conf *c = NULL, *c2 = NULL;
	t_vector_path("tests/vectors/conf/basic.conf", path, sizeof(path));
	CHECK(conf_load(&c, path, err, sizeof(err)) == 0);
	char *once = print_conf(c);
	CHECK(conf_load_buf(&c2, "printed", once, err, sizeof(err)) == 0);
	char *twice = print_conf(c2);
	CHECK_STR(twice, once);
	free(once);
	free(twice);
	conf_free(c);
	conf_free(c2);
}

/* Loads text and expects exactly this error message. */
static bool expect_error(const char *text, const char *want, int line)
{
	struct conf *c = NULL;
	char err[512] = "";
	int rc = conf_load_buf(&c, "t.conf", text, err, sizeof(err));
	if (rc == 0) {
		conf_free(c);
		return t_fail(__FILE__, line, "accepted; wanted \"%s\"", want);
	}
	if (strcmp(err, want) != 0)
		return t_fail(__FILE__, line, "got \"%s\", want \"%s\"", err,
			      want);
	return true;
}

#define SIM "[span 1]\ndriver = sim\ndevice = /x\ntype = e1\n"
#define EXPECT_ERROR(text, want)                                               \
	do {                                                                   \
		if (!expect_error(text, want, __LINE__))                       \
			return;                                                \
	} while (0)

TEST(unknown_key)
{
	EXPECT_ERROR(SIM "colour = red\n",
		     "t.conf:5: unknown key 'colour' in [span 1]");
	EXPECT_ERROR("[general]\nloglevel = info\n",
		     "t.conf:2: unknown key 'loglevel' in [general]");
	EXPECT_ERROR("[trunkgroup a]\nspan = 1\n",
		     "t.conf:2: unknown key 'span' in [trunkgroup a]");
	EXPECT_ERROR("[dialplan]\n", "t.conf:1: unknown section [dialplan]");
}

TEST(bad_span_number)
{
	EXPECT_ERROR("[span 0]\n", "t.conf:1: bad span number '0': must be "
				   "1..128");
	EXPECT_ERROR("[span 129]\n", "t.conf:1: bad span number '129': must "
				     "be 1..128");
	EXPECT_ERROR("[span one]\n", "t.conf:1: bad span number 'one': must "
				     "be 1..128");
	EXPECT_ERROR("[span]\n", "t.conf:1: bad span number '': must be "
				 "1..128");
	EXPECT_ERROR(SIM "[span 1]\n", "t.conf:5: span 1 defined twice (first "
				       "at line 1)");
	EXPECT_ERROR(SIM "[trunkgroup a]\nspans = 1,2\n",
		     "t.conf:6: trunk group a: no span 2");
}

TEST(duplicate_channel)
{
	EXPECT_ERROR(SIM "channels = 1-5,3\n",
		     "t.conf:5: channel 3 listed twice");
	EXPECT_ERROR(SIM "channels = 1-16\n",
		     "t.conf:5: span 1: channel 16 is the D-channel");
	EXPECT_ERROR("[span 2]\ndriver = sim\ndevice = /x\ntype = t1\n"
		     "channels = 20-23,25\n",
		     "t.conf:5: span 2: channel 25 does not exist on a T1 "
		     "(1-24)");
	EXPECT_ERROR(SIM "channels = 0-3\n",
		     "t.conf:5: bad channel '0-3': must be 1..31");
	EXPECT_ERROR(SIM "[span 2]\ndriver = sim\ndevice = /x\ntype = e1\n"
			 "unit = 1\n",
		     "t.conf:5: span 2: same sim span (unit 1) as span 1");
	EXPECT_ERROR(SIM "[trunkgroup a]\nspans = 1\n[trunkgroup b]\n"
			 "spans = 1\n",
		     "t.conf:8: trunk group b: span 1 is already in trunk "
		     "group a");
}

TEST(missing_file)
{
	struct conf *c = NULL;
	char err[512];
	int rc = conf_load(&c, "/nonexistent/gwd.conf", err, sizeof(err));
	CHECK_INT(rc, -ENOENT);
	CHECK_STR(err, "/nonexistent/gwd.conf: No such file or directory");
}

TEST(bad_values)
{
	EXPECT_ERROR(SIM "[trunkgroup a]\nspans = 1\nec_tail_ms = 60\n",
		     "t.conf:7: trunk group a: ec_tail_ms 60 is not a "
		     "multiple of 8 ms");
	EXPECT_ERROR(SIM "[trunkgroup a]\nspans = 1\nec_tail_ms = 256\n",
		     "t.conf:7: bad value '256' for ec_tail_ms: must be "
		     "16..128");
	EXPECT_ERROR(SIM "[trunkgroup a]\nspans = 1\ntones = fr\n",
		     "t.conf:7: trunk group a: unknown tone set 'fr' (us, uk, "
		     "de)");
	EXPECT_ERROR(SIM "[trunkgroup a]\nspans = 1\nringback = often\n",
		     "t.conf:7: bad value 'often' for ringback: one of auto, "
		     "never, always");
	EXPECT_ERROR(SIM "[trunkgroup a]\nspans = 1\nec = maybe\n",
		     "t.conf:7: bad value 'maybe' for ec: yes or no");
	EXPECT_ERROR(SIM "blocksize = 7\n",
		     "t.conf:5: bad value '7' for blocksize: must be 8..1600");
	EXPECT_ERROR(SIM "blocksize = 100\n",
		     "t.conf:5: span 1: blocksize 100 is not a whole number "
		     "of milliseconds (multiple of 8)");
	EXPECT_ERROR(SIM "blocksize = 16x\n",
		     "t.conf:5: bad value '16x' for blocksize: not a number");
	EXPECT_ERROR(SIM "switch = dss1\n",
		     "t.conf:5: bad value 'dss1' for switch: one of euroisdn, "
		     "ni2, 5ess, dms100, 4ess, qsig");
	EXPECT_ERROR(SIM "switch = ni2\n",
		     "t.conf:5: span 1: switch ni2 is a T1 variant; this span "
		     "is an E1");
	EXPECT_ERROR(SIM "service_messages = yes\n",
		     "t.conf:5: span 1: switch euroisdn has no SERVICE "
		     "messages");
	EXPECT_ERROR(SIM "restart_on_up = maybe\n",
		     "t.conf:5: bad value 'maybe' for restart_on_up: yes or "
		     "no");
	EXPECT_ERROR("[span 1]\ndriver = sim\ntype = e1\n",
		     "t.conf:1: span 1: driver sim needs device (the "
		     "simulator's socket)");
	EXPECT_ERROR("[span 1]\ndriver = isdn4linux\ntype = e1\n",
		     "t.conf:2: span 1: unknown driver 'isdn4linux' (sim or "
		     "dahdi)");
	EXPECT_ERROR("[span 1]\ndriver = dahdi\n",
		     "t.conf:1: span 1: missing type (e1 or t1)");
	EXPECT_ERROR(SIM "type = e1\n",
		     "t.conf:5: type given twice (first at line 4)");
	EXPECT_ERROR("[sip]\nlisten = udp:localhost:5060\n",
		     "t.conf:2: bad listen address 'udp:localhost:5060': want "
		     "transport:address:port with transport udp, tcp or tls "
		     "and a numeric address");
	EXPECT_ERROR("[sip]\nlisten = tls:127.0.0.1:5061\n",
		     "t.conf:2: sip: a tls listener needs tls_cert and "
		     "tls_key");
}

TEST(bad_shape)
{
	EXPECT_ERROR("driver = sim\n",
		     "t.conf:1: key outside of any [section]");
	EXPECT_ERROR("[span 1\n", "t.conf:1: malformed section header");
	EXPECT_ERROR(SIM "type\n", "t.conf:5: expected 'key = value'");
	EXPECT_ERROR("[general]\n[general]\n",
		     "t.conf:2: [general] given twice (first at line 1)");
}

TEST(defaults_follow_the_layout)
{
	struct conf *c = NULL;
	char err[256];
	CHECK(conf_load_buf(&c, "t",
			    "[span 4]\ndriver = sim\ndevice = /s\n"
			    "type = t1\n",
			    err, sizeof(err)) == 0);
	const struct conf_span *s = c->span[4];
	CHECK_INT(s->switchtype, CONF_SW_NI2);
	CHECK_INT(s->unit, 4);
	CHECK_INT(s->channels, 0x00fffffe); /* 1-23 */
	CHECK(s->service_messages);
	conf_free(c);
}

/*
 * Unit tests of gw/media/rtp.c: RTP header round trips and rejects, the
 * sender, receiver statistics (RFC 3550 A.1 sequence extension and
 * probation, A.3 loss, A.8 jitter against a direct computation) and RTCP
 * SR/RR compounds built, parsed back and rejected when malformed.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "media/rtp.h"
#include "tests/unit/t.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

TEST(rtp_round_trip_full)
{
	uint8_t pl[160], ext[8] = {1, 2, 3, 4, 5, 6, 7, 8}, buf[512];
	for (size_t i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(i * 7);
	struct rtp_hdr h = {.marker = true,
			    .pt = 8,
			    .seq = 65535,
			    .ts = 0xfffffff0u,
			    .ssrc = 0xdeadbeef,
			    .cc = 3,
			    .csrc = {11, 22, 33},
			    .ext = true,
			    .ext_profile = 0xbede,
			    .ext_data = ext,
			    .ext_len = 8,
			    .pad_len = 4};
	int n = rtp_build(buf, sizeof(buf), &h, pl, sizeof(pl));
	CHECK_INT(n, 12 + 12 + 4 + 8 + 160 + 4);
	CHECK_INT(buf[0], 0x80 | 0x20 | 0x10 | 3);
	CHECK_INT(buf[1], 0x80 | 8);
	CHECK_INT(buf[n - 1], 4);
	struct rtp_hdr g;
	const uint8_t *p;
	size_t plen;
	CHECK_INT(rtp_parse(&g, &p, &plen, buf, (size_t)n), 0);
	CHECK(g.marker);
	CHECK_INT(g.pt, 8);
	CHECK_INT(g.seq, 65535);
	CHECK_INT(g.ts, 0xfffffff0u);
	CHECK_INT(g.ssrc, 0xdeadbeef);
	CHECK_INT(g.cc, 3);
	CHECK_INT(g.csrc[0], 11);
	CHECK_INT(g.csrc[2], 33);
	CHECK(g.ext);
	CHECK_INT(g.ext_profile, 0xbede);
	CHECK_INT(g.ext_len, 8);
	CHECK(memcmp(g.ext_data, ext, 8) == 0);
	CHECK_INT(g.pad_len, 4);
	CHECK_INT(plen, 160);
	CHECK(memcmp(p, pl, 160) == 0);
	/* plain header, no payload */
	struct rtp_hdr s = {.pt = 0, .seq = 1, .ts = 2, .ssrc = 3};
	CHECK_INT(rtp_build(buf, sizeof(buf), &s, NULL, 0), 12);
	CHECK_INT(rtp_parse(&g, &p, &plen, buf, 12), 0);
	CHECK_INT(plen, 0);
	CHECK(!g.marker && !g.ext && g.cc == 0 && g.pad_len == 0);
}

TEST(rtp_build_rejects)
{
	uint8_t buf[64], pl[100] = {0};
	struct rtp_hdr h = {.pt = 128};
	CHECK_INT(rtp_build(buf, sizeof(buf), &h, pl, 10), -EINVAL);
	h.pt = 0;
	h.cc = 16;
	CHECK_INT(rtp_build(buf, sizeof(buf), &h, pl, 10), -EINVAL);
	h.cc = 0;
	h.ext = true;
	h.ext_len = 6;
	h.ext_data = pl;
	CHECK_INT(rtp_build(buf, sizeof(buf), &h, pl, 10), -EINVAL);
	h.ext = false;
	CHECK_INT(rtp_build(buf, sizeof(buf), &h, pl, 60), -ENOSPC);
	CHECK_INT(rtp_build(buf, sizeof(buf), &h, pl, 52), 64);
}

struct bad {
	const char *what;
	uint8_t b[24];
	size_t len;
};

TEST(rtp_parse_rejects_malformed)
{
	static const struct bad bad[] = {
	    {"empty", {0}, 0},
	    {"short header", {0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}, 11},
	    {"version 1", {0x40, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 12},
	    {"version 0", {0x00, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 12},
	    {"version 3", {0xc0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 12},
	    {"csrc past end",
	     {0x82, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9},
	     16},
	    {"15 csrc, none", {0x8f, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 12},
	    {"ext header cut",
	     {0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde},
	     14},
	    {"ext past end",
	     {0x90, 0, 0,    1,	   0, 0, 0, 0, 0, 0,
	      0,    0, 0xbe, 0xde, 0, 2, 1, 2, 3, 4},
	     20},
	    {"padding 0",
	     {0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0},
	     16},
	    {"padding too long",
	     {0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 5},
	     16},
	    {"padding, no room", {0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, 12},
	};
	for (size_t i = 0; i < NELEM(bad); i++) {
		struct rtp_hdr h;
		const uint8_t *p;
		size_t plen;
		if (rtp_parse(&h, &p, &plen, bad[i].b, bad[i].len) !=
		    -EBADMSG) {
			t_fail(__FILE__, __LINE__, "accepted: %s", bad[i].what);
			return;
		}
	}
	/* the boundary cases that are valid */
	const uint8_t ok_pad[16] = {0xa0, 0, 0, 1, 0, 0, 0, 0,
				    0,	  0, 0, 0, 1, 2, 3, 4};
	struct rtp_hdr h;
	const uint8_t *p;
	size_t plen;
	CHECK_INT(rtp_parse(&h, &p, &plen, ok_pad, 16), 0);
	CHECK_INT(plen, 0);
	const uint8_t ok_ext0[16] = {0x90, 0, 0, 1, 0,	  0,	0, 0,
				     0,	   0, 0, 0, 0xbe, 0xde, 0, 0};
	CHECK_INT(rtp_parse(&h, &p, &plen, ok_ext0, 16), 0);
	CHECK_INT(h.ext_len, 0);
}

TEST(rtp_sender)
{
	struct rtp_sender a, b;
	CHECK_INT(rtp_sender_init(&a, 8), 0);
	CHECK_INT(rtp_sender_init(&b, 8), 0);
	/* 80 random bits each: equal only by a broken getrandom */
	CHECK(a.ssrc != b.ssrc || a.seq != b.seq || a.ts != b.ts);
	rtp_sender_init_at(&a, 0, 0x1234, 65534, 0xffffff00u);
	uint8_t pl[160] = {0}, buf[256];
	struct rtp_hdr h;
	const uint8_t *p;
	size_t plen;
	int n = rtp_sender_next(&a, buf, sizeof(buf), pl, 160, 160);
	CHECK_INT(n, 172);
	CHECK_INT(rtp_parse(&h, &p, &plen, buf, (size_t)n), 0);
	CHECK(h.marker);
	CHECK_INT(h.seq, 65534);
	n = rtp_sender_next(&a, buf, sizeof(buf), pl, 160, 160);
	CHECK_INT(rtp_parse(&h, &p, &plen, buf, (size_t)n), 0);
	CHECK(!h.marker);
	CHECK_INT(h.seq, 65535);
	CHECK_INT(h.ts, 0xffffffa0u);
	rtp_sender_gap(&a, 800);
	n = rtp_sender_next(&a, buf, sizeof(buf), pl, 160, 160);
	CHECK_INT(rtp_parse(&h, &p, &plen, buf, (size_t)n), 0);
	CHECK(h.marker);
	CHECK_INT(h.seq, 0);
	CHECK_INT(h.ts, (uint32_t)(0xffffff00u + 320 + 800));
	CHECK_INT(a.packets, 3);
	CHECK_INT(a.octets, 480);
}

static enum rtp_src_event feed(struct rtp_source *s, uint32_t ssrc,
			       uint16_t seq, uint32_t ts, uint32_t arr)
{
	struct rtp_hdr h = {.ssrc = ssrc, .seq = seq, .ts = ts, .pt = 8};
	return rtp_source_update(s, &h, arr, 160);
}

TEST(rtp_seq_wrap_and_probation)
{
	struct rtp_source s;
	rtp_source_init(&s);
	CHECK_INT(feed(&s, 7, 65530, 0, 0), RTP_SRC_PROBATION);
	CHECK_INT(feed(&s, 7, 65531, 160, 160), RTP_SRC_OK);
	for (uint32_t i = 2; i < 12; i++) /* 65532 .. 65535, 0 .. 5 */
		CHECK_INT(feed(&s, 7, (uint16_t)(65530 + i), i * 160, i * 160),
			  RTP_SRC_OK);
	CHECK_INT(s.cycles, 65536);
	CHECK_INT(rtp_source_ext_max(&s), 65536 + 5);
	CHECK_INT(rtp_source_lost(&s), 0);
	/* a reordered old packet does not move the maximum */
	CHECK_INT(feed(&s, 7, 65534, 4 * 160, 12 * 160), RTP_SRC_OK);
	CHECK_INT(rtp_source_ext_max(&s), 65536 + 5);
	CHECK_INT(rtp_source_lost(&s), -1); /* the duplicate */
	/* probation broken by a gap restarts it */
	struct rtp_source q;
	rtp_source_init(&q);
	CHECK_INT(feed(&q, 1, 100, 0, 0), RTP_SRC_PROBATION);
	CHECK_INT(feed(&q, 1, 102, 0, 0), RTP_SRC_PROBATION);
	CHECK_INT(feed(&q, 1, 103, 0, 0), RTP_SRC_OK);
	CHECK_INT(q.base_seq, 103);
}

TEST(rtp_restart_and_new_ssrc)
{
	struct rtp_source s;
	rtp_source_init(&s);
	feed(&s, 9, 10, 0, 0);
	for (uint16_t q = 11; q < 20; q++)
		CHECK_INT(feed(&s, 9, q, 0, 0), RTP_SRC_OK);
	CHECK_INT(feed(&s, 9, 30000, 0, 0), RTP_SRC_BAD_SEQ);
	CHECK_INT(feed(&s, 9, 30001, 0, 0), RTP_SRC_RESTART);
	CHECK_INT(rtp_source_ext_max(&s), 30001);
	CHECK_INT(s.received, 1);
	CHECK_INT(feed(&s, 10, 5, 0, 0), RTP_SRC_NEW_SSRC);
	CHECK_INT(s.ssrc, 10);
	CHECK_INT(feed(&s, 10, 6, 0, 0), RTP_SRC_OK);
	CHECK_INT(s.restarts, 2);
	CHECK_INT(rtp_source_lost(&s), 0);
}

TEST(rtp_loss_and_fraction)
{
	struct rtp_source s;
	rtp_source_init(&s);
	uint16_t seq = 60000;
	feed(&s, 5, seq++, 0, 0); /* probation */
	for (int i = 0; i < 1000; i++, seq++)
		if (i % 10 != 5)
			feed(&s, 5, seq, 0, 0);
	CHECK_INT(rtp_source_lost(&s), 100);
	struct rtcp_rb rb;
	rtp_source_report(&s, &rb, 0);
	CHECK_INT(rb.cum_lost, 100);
	/* 100 of 1000 expected since base: 25.6/256 */
	CHECK_INT(rb.fraction_lost, (100 * 256) / 1000);
	CHECK_INT(rb.ext_max_seq, 61000);
	for (int i = 0; i < 200; i++, seq++)
		if (i % 4 != 0)
			feed(&s, 5, seq, 0, 0);
	rtp_source_report(&s, &rb, 0);
	CHECK_INT(rb.fraction_lost, 64); /* 1 in 4 in this interval */
	CHECK_INT(rb.cum_lost, 150);
	for (int i = 0; i < 50; i++, seq++)
		feed(&s, 5, seq, 0, 0);
	rtp_source_report(&s, &rb, 0);
	CHECK_INT(rb.fraction_lost, 0);
	CHECK_INT(rb.cum_lost, 150);
}

TEST(rtp_jitter_matches_a8)
{
	struct rtp_source s;
	rtp_source_init(&s);
	uint32_t rnd = 42, ts0 = 0xfffff000u;
	double j = 0, prev = 0;
	const uint32_t spread = 240; /* samples: uniform 0..30 ms */
	for (uint32_t i = 0; i < 20000; i++) {
		uint32_t ts = ts0 + i * 160;
		uint32_t d = lcg(&rnd) % spread;
		uint32_t arr = 1000000u + i * 160 + d;
		feed(&s, 3, (uint16_t)i, ts, arr);
		/* direct A.8 in floating point, from the first valid one */
		double transit = (double)(int32_t)(arr - ts);
		if (i >= 2) {
			double dd = fabs(transit - prev);
			j += (dd - j) / 16;
		}
		prev = transit;
		if (i > 100 && i % 997 == 0 &&
		    fabs((double)rtp_source_jitter(&s) - j) > 1.5) {
			t_fail(__FILE__, __LINE__, "jitter %u, direct %.2f",
			       rtp_source_jitter(&s), j);
			return;
		}
	}
	/* E|D| of two uniform 0..X delays is X/3 */
	double want = spread / 3.0;
	CHECK(fabs((double)rtp_source_jitter(&s) - want) < want * 0.25);
}

/* How long a packet waited beyond the fastest recent one: 0 in a steady
 * stream, a packet time per packet queued behind it after a stall, and a
 * lasting path change forgotten one unit per packet. */
TEST(rtp_wait_shows_a_backlog)
{
	struct rtp_source s;
	rtp_source_init(&s);
	uint32_t ts0 = 0xffffff00u, arr0 = 5000;
	uint16_t seq = 0;
	for (; seq < 50; seq++)
		feed(&s, 9, seq, ts0 + seq * 160u, arr0 + seq * 160u + seq % 3);
	/* jitter of 0..2 samples: the fastest creeps up to the middle */
	CHECK(rtp_source_wait(&s) <= 2);
	for (int k = 0; k < 5; k++, seq++)
		feed(&s, 9, seq, ts0 + seq * 160u, arr0 + seq * 160u);
	CHECK_INT(rtp_source_wait(&s), 0);
	/* the reader stalls 60 ms: four packets are read at once */
	uint32_t late = arr0 + (seq + 3) * 160u;
	for (int k = 0; k < 4; k++, seq++) {
		feed(&s, 9, seq, ts0 + seq * 160u, late);
		/* less the unit per packet the fastest forgets */
		CHECK_INT(rtp_source_wait(&s),
			  k < 3 ? (uint32_t)((3 - k) * 160 - k) : 0);
	}
	/* the path gets 100 samples longer for good */
	for (int k = 0; k < 40; k++, seq++) {
		feed(&s, 9, seq, ts0 + seq * 160u, arr0 + seq * 160u + 100);
		if (k == 0)
			CHECK_INT(rtp_source_wait(&s), 100);
	}
	CHECK(rtp_source_wait(&s) < 100 - 35);
	for (int k = 0; k < 100; k++, seq++)
		feed(&s, 9, seq, ts0 + seq * 160u, arr0 + seq * 160u + 100);
	CHECK_INT(rtp_source_wait(&s), 0);
	/* a new source starts afresh */
	feed(&s, 10, 7, 123, 99999);
	CHECK_INT(rtp_source_wait(&s), 0);
}

TEST(rtp_lsr_dlsr)
{
	struct rtp_source s;
	rtp_source_init(&s);
	feed(&s, 1, 1, 0, 0);
	feed(&s, 1, 2, 0, 0);
	uint64_t sr_ntp = (uint64_t)3900000000u << 32 | 0x80000000u;
	uint64_t arr = (uint64_t)3900000100u << 32;
	rtp_source_sr_received(&s, sr_ntp, arr);
	struct rtcp_rb rb;
	rtp_source_report(&s, &rb, arr + ((uint64_t)3 << 31)); /* +1.5 s */
	CHECK_INT(rb.lsr, (uint32_t)(sr_ntp >> 16));
	CHECK_INT(rb.dlsr, 98304); /* 1.5 * 65536 */
}

TEST(rtcp_sr_round_trip)
{
	struct rtcp_report r = {.ssrc = 0x11223344,
				.is_sr = true,
				.sr = {.ntp = 0xe1234567890abcdeull,
				       .rtp_ts = 123456,
				       .packets = 1000,
				       .octets = 160000},
				.rb_count = 2,
				.bye = true};
	r.rb[0] = (struct rtcp_rb){.ssrc = 0xaabbccdd,
				   .fraction_lost = 25,
				   .cum_lost = 100,
				   .ext_max_seq = 0x1ffff,
				   .jitter = 80,
				   .lsr = 0x12345678,
				   .dlsr = 98304};
	r.rb[1] = (struct rtcp_rb){.ssrc = 2, .cum_lost = -3, .ext_max_seq = 7};
	strcpy(r.cname, "gwd@192.0.2.1");
	uint8_t buf[512];
	int n = rtcp_build(buf, sizeof(buf), &r);
	/* SR 28 + 48, SDES 8 + 2 + 13 + 1 -> 24, BYE 8 */
	CHECK_INT(n, 76 + 24 + 8);
	struct rtcp_report g;
	memset(&g, 0x55, sizeof(g));
	CHECK_INT(rtcp_parse(&g, buf, (size_t)n), 0);
	CHECK(g.is_sr);
	CHECK_INT(g.ssrc, 0x11223344);
	CHECK(g.sr.ntp == 0xe1234567890abcdeull);
	CHECK_INT(g.sr.rtp_ts, 123456);
	CHECK_INT(g.sr.packets, 1000);
	CHECK_INT(g.sr.octets, 160000);
	CHECK_INT(g.rb_count, 2);
	CHECK_INT(g.rb[0].ssrc, 0xaabbccdd);
	CHECK_INT(g.rb[0].fraction_lost, 25);
	CHECK_INT(g.rb[0].cum_lost, 100);
	CHECK_INT(g.rb[0].ext_max_seq, 0x1ffff);
	CHECK_INT(g.rb[0].jitter, 80);
	CHECK_INT(g.rb[0].lsr, 0x12345678);
	CHECK_INT(g.rb[0].dlsr, 98304);
	CHECK_INT(g.rb[1].cum_lost, -3);
	CHECK_STR(g.cname, "gwd@192.0.2.1");
	CHECK(g.bye);
}

TEST(rtcp_rr_round_trip)
{
	struct rtcp_report r = {.ssrc = 77, .rb_count = 1};
	r.rb[0] = (struct rtcp_rb){
	    .ssrc = 5, .fraction_lost = 255, .cum_lost = 0x7fffff, .jitter = 1};
	strcpy(r.cname, "abc"); /* SDES exactly 12 + null: pads to 16 */
	uint8_t buf[128];
	int n = rtcp_build(buf, sizeof(buf), &r);
	CHECK_INT(n, 32 + 16);
	struct rtcp_report g;
	CHECK_INT(rtcp_parse(&g, buf, (size_t)n), 0);
	CHECK(!g.is_sr && !g.bye);
	CHECK_INT(g.rb_count, 1);
	CHECK_INT(g.rb[0].fraction_lost, 255);
	CHECK_INT(g.rb[0].cum_lost, 0x7fffff);
	CHECK_STR(g.cname, "abc");
	/* builder limits */
	CHECK_INT(rtcp_build(buf, 40, &r), -ENOSPC);
	r.cname[0] = '\0';
	CHECK_INT(rtcp_build(buf, sizeof(buf), &r), -EINVAL);
	strcpy(r.cname, "x");
	r.rb_count = 32;
	CHECK_INT(rtcp_build(buf, sizeof(buf), &r), -EINVAL);
}

TEST(rtcp_rejects_malformed)
{
	struct rtcp_report r = {.ssrc = 9, .is_sr = true, .rb_count = 1};
	strcpy(r.cname, "host");
	uint8_t good[256], b[256];
	int n = rtcp_build(good, sizeof(good), &r);
	CHECK(n > 0);
	size_t len = (size_t)n, sdes = 28 + 24; /* offset of the SDES */
	struct rtcp_report g;
	CHECK_INT(rtcp_parse(&g, good, len), 0);
	/* truncated anywhere but at the packet boundary (a lone SR is
	 * well-formed): lengths no longer add up */
	for (size_t cut = 0; cut < len; cut++)
		CHECK_INT(rtcp_parse(&g, good, cut),
			  cut == sdes ? 0 : -EBADMSG);
	/* trailing junk shorter than a header */
	memcpy(b, good, len);
	b[len] = 0x80;
	b[len + 1] = 204;
	CHECK_INT(rtcp_parse(&g, b, len + 2), -EBADMSG);
	/* version 1 in the first or a later packet */
	memcpy(b, good, len);
	b[0] = (uint8_t)((b[0] & 0x3f) | 0x40);
	CHECK_INT(rtcp_parse(&g, b, len), -EBADMSG);
	memcpy(b, good, len);
	b[sdes] = (uint8_t)((b[sdes] & 0x3f) | 0x40);
	CHECK_INT(rtcp_parse(&g, b, len), -EBADMSG);
	/* SDES first (A.2: must be SR or RR) */
	memcpy(b, good + sdes, len - sdes);
	CHECK_INT(rtcp_parse(&g, b, len - sdes), -EBADMSG);
	/* padding bit on a packet that is not the last */
	memcpy(b, good, len);
	b[0] |= 0x20;
	CHECK_INT(rtcp_parse(&g, b, len), -EBADMSG);
	/* report count larger than the packet */
	memcpy(b, good, len);
	b[0] = (uint8_t)((b[0] & 0xe0) | 2);
	CHECK_INT(rtcp_parse(&g, b, len), -EBADMSG);
	/* SDES item length running past its packet */
	memcpy(b, good, len);
	b[sdes + 9] = 200;
	CHECK_INT(rtcp_parse(&g, b, len), -EBADMSG);
	/* length field pointing past the end */
	memcpy(b, good, len);
	b[3] = 0xff;
	CHECK_INT(rtcp_parse(&g, b, len), -EBADMSG);
	/* BYE with a source count larger than its packet */
	const uint8_t bye[] = {0x80, 201, 0, 1, 0, 0, 0, 9,
			       0x83, 203, 0, 1, 0, 0, 0, 9};
	CHECK_INT(rtcp_parse(&g, bye, sizeof(bye)), -EBADMSG);
	/* an unknown type (APP) in the middle is skipped */
	const uint8_t app[] = {0x80, 201, 0, 1, 0, 0, 0,   9,	0x80, 204,
			       0,    2,	  0, 0, 0, 9, 'n', 'a', 'm',  'e'};
	CHECK_INT(rtcp_parse(&g, app, sizeof(app)), 0);
	CHECK_INT(g.ssrc, 9);
	CHECK_INT(g.rb_count, 0);
}

TEST(rtcp_sr_from_live_state)
{
	/* a sender's counters and a receiver's statistics into one SR */
	struct rtp_sender tx;
	rtp_sender_init_at(&tx, 8, 0xabc, 100, 5000);
	uint8_t pl[160] = {0}, pkt[200];
	struct rtp_source rx;
	rtp_source_init(&rx);
	for (uint32_t i = 0; i < 50; i++) {
		int n = rtp_sender_next(&tx, pkt, sizeof(pkt), pl, 160, 160);
		CHECK_INT(n, 172);
		struct rtp_hdr h;
		const uint8_t *p;
		size_t plen;
		CHECK_INT(rtp_parse(&h, &p, &plen, pkt, (size_t)n), 0);
		if (i != 20) /* one lost */
			rtp_source_update(&rx, &h, h.ts + 1000 + (i % 2) * 16,
					  plen);
	}
	struct rtcp_report r = {.ssrc = 0x99,
				.is_sr = true,
				.sr = {.ntp = (uint64_t)3900000000u << 32,
				       .rtp_ts = tx.last_ts,
				       .packets = tx.packets,
				       .octets = tx.octets},
				.rb_count = 1};
	rtp_source_report(&rx, &r.rb[0], r.sr.ntp);
	strcpy(r.cname, "gw1");
	uint8_t buf[256];
	int n = rtcp_build(buf, sizeof(buf), &r);
	CHECK(n > 0);
	struct rtcp_report g;
	CHECK_INT(rtcp_parse(&g, buf, (size_t)n), 0);
	CHECK_INT(g.sr.packets, 50);
	CHECK_INT(g.sr.octets, 8000);
	CHECK_INT(g.sr.rtp_ts, 5000 + 49 * 160);
	CHECK_INT(g.rb[0].ssrc, 0xabc);
	CHECK_INT(g.rb[0].cum_lost, 1);
	CHECK_INT(g.rb[0].ext_max_seq, 149);
	/* 1 lost of 49 expected since probation ended: 256 / 49 */
	CHECK_INT(g.rb[0].fraction_lost, 256 / 49);
	/* transit alternates by 16: A.8 converges towards 16 */
	CHECK(g.rb[0].jitter >= 8 && g.rb[0].jitter <= 16);
}

TEST(rtcp_interval_randomised_two_party)
{
	/* RFC 3550 §6.3.1: Tmin (half before the first report) * [0.5, 1.5) */
	CHECK_INT(rtcp_interval_ms(false, 0), 2500);
	CHECK_INT(rtcp_interval_ms(false, 0x80000000u), 5000);
	CHECK_INT(rtcp_interval_ms(false, 0xffffffffu), 7499);
	CHECK_INT(rtcp_interval_ms(true, 0), 1250);
	CHECK_INT(rtcp_interval_ms(true, 0x80000000u), 2500);
	CHECK_INT(rtcp_interval_ms(true, 0xffffffffu), 3749);
	/* a fixed sequence stays within the bounds and averages Tmin */
	uint32_t x = 12345;
	uint64_t sum = 0;
	for (int i = 0; i < 1000; i++) {
		x = x * 1664525u + 1013904223u;
		uint32_t t = rtcp_interval_ms(false, x);
		CHECK(t >= 2500 && t < 7500);
		sum += t;
	}
	CHECK(sum / 1000 > 4800 && sum / 1000 < 5200);
}

TEST(rtcp_rtt_from_lsr_dlsr)
{
	/* §6.4.1's example: A 0xb710:8000 (46864.500 s), LSR 0xb705:2000
	 * (46853.125), DLSR 0x0005:4000 (5.250): RTT 6.125 s */
	CHECK_INT(rtcp_rtt_us(0xb7108000u, 0xb7052000u, 0x00054000u), 6125000);
	/* 1/65536 s steps: 1 unit is 15.26 us */
	CHECK_INT(rtcp_rtt_us(0x00010001u, 0x00010000u, 0), 15);
	/* from a live NTP time: 20 ms out and back plus 1 s held */
	uint64_t sr = (uint64_t)3900000000u << 32 | 0x40000000u;
	uint64_t back =
	    sr + ((uint64_t)1 << 32) + (((uint64_t)20 << 32) / 1000);
	int64_t rtt =
	    rtcp_rtt_us(rtcp_ntp_mid32(back), rtcp_ntp_mid32(sr), 0x00010000u);
	CHECK(rtt >= 19980 && rtt <= 20000);
	/* across the 2^32 wrap of the middle bits */
	CHECK_INT(rtcp_rtt_us(0x00000100u, 0xffffff00u, 0), 7812);
	/* no LSR, or A before LSR + DLSR: no RTT */
	CHECK_INT(rtcp_rtt_us(0x12345678u, 0, 0), -1);
	CHECK_INT(rtcp_rtt_us(0x00010000u, 0x00010000u, 1), -1);
}

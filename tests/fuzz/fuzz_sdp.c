/*
 * libFuzzer target: the SDP parser reads every body a peer sends. Whatever
 * parses must print, parse back to the same session and print the same
 * text again; it is then answered with a fixed local config (the answer
 * must itself print and parse), checked as an answer to our own offer, and
 * compared as a re-offer with itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sdp/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sdp_session s, s2, ans, ans2, offer;
static char p1[1 << 16], p2[1 << 16];

static const struct sdp_local local = {
    .af = AF_INET,
    .addr = "192.0.2.1",
    .rtp_port = 30000,
    .codecs = {SDP_CODEC_PCMA, SDP_CODEC_PCMU},
    .ncodecs = 2,
    .te_pt = 101,
    .ptime_ms = 20,
    .username = "gwd",
    .sess_id = 1,
    .sess_version = 1,
};

/* print -> parse -> equal -> print the same text. */
static void round_trip(const struct sdp_session *a, struct sdp_session *b)
{
	int n1 = sdp_print(a, p1, sizeof(p1));
	if (n1 < 0 || sdp_parse(b, p1, (size_t)n1, NULL) != 0)
		abort();
	if (!sdp_session_eq(a, b))
		abort();
	int n2 = sdp_print(b, p2, sizeof(p2));
	if (n2 != n1 || memcmp(p1, p2, (size_t)n1) != 0)
		abort();
	if (sdp_reoffer_change(a, b) != SDP_CHANGE_NONE)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_err err;
	struct sdp_media_result res;
	if (sdp_parse(&s, (const char *)data, size, &err) != 0) {
		if (!err.what)
			abort();
		return 0;
	}
	round_trip(&s, &s2);
	int rc = sdp_answer(&s, &local, &ans, &res);
	if (rc == 0) {
		if (ans.nmedia != s.nmedia || res.mline >= s.nmedia)
			abort();
		round_trip(&ans, &ans2);
	} else if (rc != -ENOTSUP || !res.warn_code || !res.warn_text) {
		abort();
	}
	if (sdp_offer(&local, &offer) != 0)
		abort();
	rc = sdp_process_answer(&offer, &s, &res);
	if (rc != 0 && rc != -ENOTSUP && rc != -EPROTO)
		abort();
	return 0;
}

/*
 * Unit tests of gw/media/ctone.c, the gate in front of spandsp's connect
 * tone detectors: every V.25/T.30 tone spandsp generates opens it from its
 * first 10 ms on, also at low level and at the edge of its frequency
 * tolerance; speech-band audio that is not a connect tone (1004 Hz test
 * tone, dial tone, DTMF, noise, silence) leaves it shut; the hold time;
 * block-size independence; and spandsp's detectors, fed only through the
 * gate, still find each tone after seconds of other audio.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#include "media/ctone.h"
#include "tests/unit/t.h"

#define RATE  8000.0
#define BLOCK 160

/* amplitude of a sine at dbm0 (spandsp's 0 dBm0: 3.14 dB below clip) */
static double amp(double dbm0)
{
	return 32767.0 * pow(10.0, (dbm0 - 3.14) / 20.0);
}

static void sine(int16_t *x, size_t n, double f, double dbm0, size_t t0)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (int16_t)lrint(
		    amp(dbm0) * sin(2 * M_PI * f * (double)(t0 + i) / RATE));
}

/* Feeds n samples in blocks of blk; returns how many blocks were open. */
static unsigned feed(struct ctone_gate *g, const int16_t *x, size_t n,
		     size_t blk)
{
	unsigned open = 0;
	for (size_t i = 0; i < n; i += blk)
		open += ctone_gate_block(g, x + i, n - i < blk ? n - i : blk);
	return open;
}

/* A tone of f Hz at dbm0 for 1 s: every block from the first on open. */
static bool tone_opens(double f, double dbm0)
{
	static int16_t x[8000];
	struct ctone_gate g;
	ctone_gate_init(&g);
	sine(x, 8000, f, dbm0, 0);
	return feed(&g, x, 8000, BLOCK) == 8000 / BLOCK;
}

static bool tone_shut(double f, double dbm0)
{
	static int16_t x[8000];
	struct ctone_gate g;
	ctone_gate_init(&g);
	sine(x, 8000, f, dbm0, 0);
	return feed(&g, x, 8000, BLOCK) == 0;
}

TEST(connect_tone_frequencies_open_within_tolerance)
{
	/* T.30: CNG 1100 +-38 Hz; V.25: ANS 2100 +-15 Hz */
	static const double f[] = {1100, 1062, 1138, 2100, 2085, 2115};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		CHECK(tone_opens(f[i], -10));
		CHECK(tone_opens(f[i], -43));
	}
}

TEST(other_audio_stays_shut)
{
	CHECK(tone_shut(1004, -10)); /* test tone, 96 Hz from a bin */
	CHECK(tone_shut(400, -10));
	CHECK(tone_shut(1500, -10));
	CHECK(tone_shut(2600, -10));
	CHECK(tone_shut(2100, -55)); /* below the detectors' range */

	static int16_t x[8000], y[8000];
	struct ctone_gate g;
	/* dial tone 350+440 Hz (us) */
	sine(x, 8000, 350, -16, 0);
	sine(y, 8000, 440, -16, 0);
	for (int i = 0; i < 8000; i++)
		x[i] = (int16_t)(x[i] + y[i]);
	ctone_gate_init(&g);
	CHECK_INT(feed(&g, x, 8000, BLOCK), 0);

	/* every DTMF digit */
	dtmf_tx_state_t *d = dtmf_tx_init(NULL);
	CHECK(d);
	dtmf_tx_put(d, "0123456789*#ABCD", -1);
	ctone_gate_init(&g);
	unsigned open = 0;
	for (int len; (len = dtmf_tx(d, x, BLOCK)) > 0;)
		open += ctone_gate_block(&g, x, (size_t)len);
	dtmf_tx_free(d);
	CHECK_INT(open, 0);

	/* white noise at -10 dBm0: ~1/40 of the power per bin */
	awgn_state_t *n = awgn_init_dbm0(NULL, 7, -10.0f);
	CHECK(n);
	for (int i = 0; i < 8000; i++)
		x[i] = awgn(n);
	awgn_free(n);
	ctone_gate_init(&g);
	CHECK_INT(feed(&g, x, 8000, BLOCK), 0);

	memset(x, 0, sizeof(x));
	ctone_gate_init(&g);
	CHECK_INT(feed(&g, x, 8000, BLOCK), 0);
}

TEST(hold_then_shut)
{
	static int16_t x[4000];
	struct ctone_gate g;
	ctone_gate_init(&g);
	sine(x, 800, 2100, -20, 0); /* 100 ms of tone, then silence */
	memset(x + 800, 0, (4000 - 800) * sizeof(x[0]));
	unsigned last_open = 0;
	for (unsigned b = 0; b < 4000 / BLOCK; b++)
		if (ctone_gate_block(&g, x + b * BLOCK, BLOCK))
			last_open = b;
	/* the tone's last 10 ms ends in block 4; 200 ms more: block 14 */
	CHECK_INT(last_open, 4 + CTONE_HOLD / BLOCK);
	CHECK_INT(g.opened, 10);
}

TEST(block_size_does_not_matter)
{
	static int16_t x[16000];
	static const size_t sizes[] = {1, 37, 80, 160, 240, 1000};
	sine(x, 4000, 1100, -20, 0);
	memset(x + 4000, 0, 4000 * sizeof(x[0]));
	sine(x + 8000, 4000, 2100, -30, 0);
	memset(x + 12000, 0, 4000 * sizeof(x[0]));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct ctone_gate g;
		ctone_gate_init(&g);
		feed(&g, x, 16000, sizes[i]);
		CHECK_INT(g.opened, 100); /* 50 + 50 sub-blocks of tone */
		CHECK_INT(g.hold, 0);
	}
}

static int seen;

static void on_tone(void *user, int tone, int level, int delay)
{
	(void)user;
	(void)level;
	(void)delay;
	if (tone != MODEM_CONNECT_TONES_NONE)
		seen = tone;
}

/*
 * 3 s of noise and speech-band tones, then the connect tone from
 * spandsp's generator for 4 s: the detector, fed only the blocks the gate
 * lets through, reports the tone it would report if fed everything.
 */
static bool detected_through_gate(int gen, int det, int want)
{
	static int16_t x[7 * 8000];
	awgn_state_t *n = awgn_init_dbm0(NULL, 11, -30.0f);
	if (!n)
		return false;
	for (int i = 0; i < 3 * 8000; i++)
		x[i] = (int16_t)(awgn(n) +
				 amp(-20) * sin(2 * M_PI * 1004 * i / RATE));
	awgn_free(n);
	modem_connect_tones_tx_state_t *tx =
	    modem_connect_tones_tx_init(NULL, gen);
	if (!tx)
		return false;
	modem_connect_tones_tx(tx, x + 3 * 8000, 4 * 8000);
	modem_connect_tones_tx_free(tx);

	modem_connect_tones_rx_state_t *rx =
	    modem_connect_tones_rx_init(NULL, det, on_tone, NULL);
	struct ctone_gate g;
	ctone_gate_init(&g);
	seen = MODEM_CONNECT_TONES_NONE;
	unsigned fed_before = 0;
	for (int b = 0; b < 7 * 8000 / BLOCK; b++)
		if (ctone_gate_block(&g, x + b * BLOCK, BLOCK)) {
			modem_connect_tones_rx(rx, x + b * BLOCK, BLOCK);
			fed_before += b < 3 * 8000 / BLOCK;
		}
	modem_connect_tones_rx_free(rx);
	/* nothing of the first 3 s went to the detector */
	return seen == want && fed_before == 0;
}

TEST(spandsp_detectors_behind_the_gate_find_every_tone)
{
	CHECK(detected_through_gate(MODEM_CONNECT_TONES_FAX_CNG,
				    MODEM_CONNECT_TONES_FAX_CNG,
				    MODEM_CONNECT_TONES_FAX_CNG));
	CHECK(detected_through_gate(MODEM_CONNECT_TONES_ANS,
				    MODEM_CONNECT_TONES_ANSAM_PR,
				    MODEM_CONNECT_TONES_ANS));
	CHECK(detected_through_gate(MODEM_CONNECT_TONES_ANS_PR,
				    MODEM_CONNECT_TONES_ANSAM_PR,
				    MODEM_CONNECT_TONES_ANS_PR));
	CHECK(detected_through_gate(MODEM_CONNECT_TONES_ANSAM,
				    MODEM_CONNECT_TONES_ANSAM_PR,
				    MODEM_CONNECT_TONES_ANSAM));
	CHECK(detected_through_gate(MODEM_CONNECT_TONES_ANSAM_PR,
				    MODEM_CONNECT_TONES_ANSAM_PR,
				    MODEM_CONNECT_TONES_ANSAM_PR));
}

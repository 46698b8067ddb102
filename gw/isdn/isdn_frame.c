/*
 * D-channel frame decoder: Q.921 (LAPD) address and control fields, then
 * the Q.931 header and the few information elements an operator or a test
 * needs to see (cause, channel, progress, numbers, restart class, change
 * status). References: ITU-T Q.921 §3.2-3.6, Q.931 §4, ANSI T1.607 (SERVICE).
 */
#include <errno.h>
#include <string.h>

#include "isdn/isdn_frame.h"

struct name {
	unsigned v;
	const char *s;
};

static const struct name q931_msgs[] = {
    {0x01, "ALERTING"},
    {0x02, "CALL PROCEEDING"},
    {0x03, "PROGRESS"},
    {0x05, "SETUP"},
    {0x07, "CONNECT"},
    {0x0d, "SETUP ACKNOWLEDGE"},
    {0x0f, "CONNECT ACKNOWLEDGE"},
    {0x20, "USER INFORMATION"},
    {0x25, "SUSPEND"},
    {0x26, "RESUME"},
    {0x45, "DISCONNECT"},
    {0x46, "RESTART"},
    {0x4d, "RELEASE"},
    {0x4e, "RESTART ACKNOWLEDGE"},
    {0x5a, "RELEASE COMPLETE"},
    {0x62, "FACILITY"},
    {0x6e, "NOTIFY"},
    {0x75, "STATUS ENQUIRY"},
    {0x79, "CONGESTION CONTROL"},
    {0x7b, "INFORMATION"},
    {0x7d, "STATUS"},
};

/* Maintenance messages: AT&T (protocol discriminator 0x03, 4ESS/5ESS)
 * and National ISDN (0x43) code SERVICE and its acknowledgement the
 * other way round. */
static const struct name att_maint_msgs[] = {
    {0x07, "SERVICE ACKNOWLEDGE"},
    {0x0f, "SERVICE"},
};
static const struct name ni_maint_msgs[] = {
    {0x07, "SERVICE"},
    {0x0f, "SERVICE ACKNOWLEDGE"},
};

static const char *lookup(const struct name *t, size_t n, unsigned v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].v == v)
			return t[i].s;
	return "UNKNOWN";
}

/* Q.921 §3.6: the control field names the frame. */
static void decode_control(struct isdn_frame *f, const uint8_t *c, size_t n)
{
	if (!(c[0] & 0x01)) {
		f->kind = ISDN_FRAME_I;
		f->lapd = "I";
		return;
	}
	if ((c[0] & 0x03) == 0x01) {
		f->kind = ISDN_FRAME_S;
		static const char *const s[] = {"RR", "RNR", "REJ", "S?"};
		f->lapd = s[(c[0] >> 2) & 3];
		(void)n;
		return;
	}
	f->kind = ISDN_FRAME_U;
	switch (c[0] & 0xef) { /* without the P/F bit */
	case 0x6f:
		f->lapd = "SABME";
		break;
	case 0x63:
		f->lapd = "UA";
		break;
	case 0x43:
		f->lapd = "DISC";
		break;
	case 0x0f:
		f->lapd = "DM";
		break;
	case 0x87:
		f->lapd = "FRMR";
		break;
	case 0x03:
		f->lapd = "UI";
		break;
	case 0xaf:
		f->lapd = "XID";
		break;
	default:
		f->lapd = "U?";
		break;
	}
}

static void copy_digits(char *dst, size_t cap, const uint8_t *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < cap; i++)
		if (p[i] >= 0x20 && p[i] < 0x7f)
			dst[k++] = (char)p[i];
	dst[k] = '\0';
}

/* Octet 3 of a number IE, with its extension octet 3a when present. */
static size_t number_skip(const uint8_t *v, size_t n, size_t min)
{
	size_t i = 0;
	while (i < n && !(v[i] & 0x80))
		i++;
	i++;
	return i < min ? min : i;
}

static void decode_ie(struct isdn_frame *f, unsigned id, const uint8_t *v,
		      size_t n)
{
	switch (id) {
	case 0x08: { /* Cause, Q.931 §4.5.12 */
		size_t i = number_skip(v, n, 1);
		if (i < n)
			f->cause = v[i] & 0x7f;
		break;
	}
	case 0x18: /* Channel identification, Q.931 §4.5.13 */
		if (n >= 3 && (v[0] & 0x20) && !(v[0] & 0x40))
			f->chan = v[2] & 0x7f;
		break;
	case 0x1e: /* Progress indicator, Q.931 §4.5.23 */
		if (n >= 2)
			f->progress = v[1] & 0x7f;
		break;
	case 0x6c: { /* Calling party number, §4.5.10 */
		size_t i = number_skip(v, n, 1);
		if (i <= n)
			copy_digits(f->calling, sizeof(f->calling), v + i,
				    n - i);
		break;
	}
	case 0x74: { /* Redirecting number (Q.952): octets 3, 3a, 3b */
		size_t i = 0;
		while (i < n && i < 2 && !(v[i] & 0x80))
			i++; /* octet 3 or 3a without the extension bit */
		if (i == 2 && i < n)
			f->redirecting_reason = v[i] & 0x0f; /* octet 3b */
		if (i + 1 <= n)
			copy_digits(f->redirecting, sizeof(f->redirecting),
				    v + i + 1, n - i - 1);
		break;
	}
	case 0x70: /* Called party number, §4.5.8 */
		if (n >= 1)
			copy_digits(f->called, sizeof(f->called), v + 1, n - 1);
		break;
	case 0x79: /* Restart indicator, §4.5.25 */
		if (n >= 1)
			f->restart_class = v[0] & 0x07;
		break;
	case 0x01: /* Change status, T1.607 (codeset 0 in SERVICE) */
		if (n >= 1)
			f->change_status = v[0] & 0x07;
		break;
	default:
		break;
	}
}

static void decode_q931(struct isdn_frame *f, const uint8_t *m, size_t n)
{
	if (n < 3)
		return;
	f->pd = m[0];
	size_t crl = m[1] & 0x0f;
	if (2 + crl + 1 > n || crl > 4)
		return;
	f->has_q931 = true;
	for (size_t i = 0; i < crl; i++)
		f->cref = (f->cref << 8) | m[2 + i];
	if (crl) {
		f->cref_flag = m[2] & 0x80;
		f->cref &= ~(0x80u << (8 * (crl - 1)));
	}
	f->msg_type = m[2 + crl];
	if (f->pd == 0x03)
		f->msg = lookup(att_maint_msgs, 2, f->msg_type);
	else if (f->pd == 0x43)
		f->msg = lookup(ni_maint_msgs, 2, f->msg_type);
	else
		f->msg =
		    lookup(q931_msgs, sizeof(q931_msgs) / sizeof(q931_msgs[0]),
			   f->msg_type);
	size_t i = 3 + crl;
	unsigned codeset = 0;
	while (i < n) {
		uint8_t id = m[i];
		if (id & 0x80) { /* single-octet IE, §4.5.1 */
			if ((id & 0xf0) == 0x90)
				codeset = id & 0x07; /* shift; locking or not */
			else if (id == 0xa1) /* Sending complete, §4.5.27 */
				f->sending_complete = true;
			i++;
			continue;
		}
		if (i + 1 >= n || i + 2 + m[i + 1] > n) {
			f->bad_ie = true;
			return;
		}
		if (codeset == 0)
			decode_ie(f, id, m + i + 2, m[i + 1]);
		i += 2 + m[i + 1];
	}
}

int isdn_frame_decode(struct isdn_frame *f, const uint8_t *frame, size_t len)
{
	memset(f, 0, sizeof(*f));
	f->cause = f->chan = f->progress = f->redirecting_reason = -1;
	f->restart_class = f->change_status = -1;
	f->msg = "";
	f->lapd = "";
	/* Q.921 §3.3: two address octets, EA=0 then EA=1 */
	if (len < 3 || (frame[0] & 0x01) || !(frame[1] & 0x01)) {
		f->kind = ISDN_FRAME_BAD;
		return -EBADMSG;
	}
	f->sapi = frame[0] >> 2;
	f->cr = frame[0] & 0x02;
	f->tei = frame[1] >> 1;
	decode_control(f, frame + 2, len - 2);
	if (f->kind == ISDN_FRAME_I && len >= 4)
		decode_q931(f, frame + 4, len - 4);
	else if (f->kind == ISDN_FRAME_U && strcmp(f->lapd, "UI") == 0)
		decode_q931(f, frame + 3, len - 3);
	return 0;
}

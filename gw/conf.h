/*
 * gwd's configuration: an INI file of [general], [span N], [trunkgroup NAME]
 * and [sip] sections. Every key is described once, in a table (conf_keys.c)
 * that drives parsing, defaults, validation messages and `gwd -n` printing.
 * Unknown keys and bad values are errors with file:line. A parsed config is
 * immutable; reload parses a new one and the daemon swaps what can change.
 */
#ifndef GW_CONF_H
#define GW_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "drivers/tdm.h"

#define CONF_MAX_SPANS	128
#define CONF_MAX_TGS	64
#define CONF_MAX_LISTEN 8
#define CONF_NAME_MAX	32
#define CONF_PATH_MAX	108 /* sun_path */
#define CONF_SEC_KEYS	32  /* most keys a section has */

enum conf_switch {
	CONF_SW_EUROISDN,
	CONF_SW_NI2,
	CONF_SW_5ESS,
	CONF_SW_DMS100,
	CONF_SW_4ESS,
	CONF_SW_QSIG,
};

enum conf_side {
	CONF_SIDE_CPE,
	CONF_SIDE_NET,
};

/* Local ringback toward SIP callers on ALERTING without in-band tones. */
enum conf_ringback {
	CONF_RINGBACK_AUTO,   /* when the INVITE has P-Early-Media */
	CONF_RINGBACK_NEVER,  /* plain 180 */
	CONF_RINGBACK_ALWAYS, /* 183 + tone to every caller with SDP */
};

enum conf_hunt {
	CONF_HUNT_ASCENDING,
	CONF_HUNT_DESCENDING,
	CONF_HUNT_ROUNDROBIN,
};

enum conf_transport {
	CONF_TP_UDP,
	CONF_TP_TCP,
	CONF_TP_TLS,
};

enum conf_log_format {
	CONF_LOG_TEXT,
	CONF_LOG_JSON,
};

/* media workers' socket I/O; the values of enum media_io_mode */
enum conf_media_io {
	CONF_MEDIA_IO_AUTO,
	CONF_MEDIA_IO_URING,
	CONF_MEDIA_IO_SYSCALLS,
};

struct conf_general {
	unsigned log_level; /* enum log_level */
	unsigned log_format;
	char control_socket[CONF_PATH_MAX];
	char pid_file[CONF_PATH_MAX];
	unsigned media_workers;		    /* 0 = one per core */
	unsigned media_io;		    /* enum conf_media_io */
	char test_loopback[CONF_NAME_MAX];  /* test line: loops audio back */
	char test_milliwatt[CONF_NAME_MAX]; /* test line: 1 kHz 0 dBm0 */
	uint64_t set_mask;
	unsigned key_line[CONF_SEC_KEYS];
};

struct conf_span {
	unsigned no; /* [span N] */
	char driver[16];
	unsigned layout;     /* enum tdm_layout */
	unsigned switchtype; /* enum conf_switch */
	unsigned side;	     /* enum conf_side */
	char device[CONF_PATH_MAX];
	unsigned unit;
	unsigned basechan;
	uint32_t channels; /* bit ts: B-channel in service */
	unsigned blocksize;
	unsigned tx_prefill; /* B-channel blocks written ahead */
	bool restart_on_up;
	unsigned link_settle_ms;
	bool service_messages;
	unsigned t200_ms, t203_ms, n200; /* Q.921 timers and retry count */
	char pcap[CONF_PATH_MAX];
	uint64_t set_mask; /* which keys the file set (bit = key index) */
	unsigned line;	   /* where the section starts */
	unsigned key_line[CONF_SEC_KEYS];
};

struct conf_tg {
	char name[CONF_NAME_MAX];
	unsigned spans[CONF_MAX_SPANS];
	unsigned nspans;
	unsigned hunt; /* enum conf_hunt */
	/* routing until LCR: E.164 prefixes ("49,4930"; "*" = any) sent to
	 * this group; calls from it go to sip_dest */
	char prefixes[256];
	char sip_dest[128]; /* SIP URI with numeric host */
	/* numbering (number.h) */
	char country_code[5], area_code[8], national_prefix[5], intl_prefix[5];
	unsigned called_format, calling_format; /* enum number_format */
	/* cause map overrides (cause.h syntax "17:486,34:503") */
	char causes_q850[256], causes_sip[256];
	unsigned max_calls;	 /* 0: no limit beyond the channels */
	unsigned max_cps;	 /* new calls per second; 0: no limit */
	unsigned max_duration_s; /* 0: none */
	unsigned retry_after_s;	 /* Retry-After on 503 when full */
	unsigned t301_s;	 /* alerting: answer timeout */
	unsigned t310_s;	 /* CALL PROCEEDING: next message timeout */
	/* overlap receiving from the PSTN (Q.931 §5.2.4) */
	bool overlap;		/* off: en-bloc, every SETUP is complete */
	unsigned t302_s;	/* T302: wait for the next INFORMATION */
	unsigned min_digits;	/* fewer at T302 expiry: cause 28 */
	unsigned max_digits;	/* this many: complete at once; 0 = none */
	char sip_auth_user[64]; /* answer 401/407 from sip_dest with these */
	char sip_auth_password[64];
	bool ec;	     /* line echo canceller on this group's calls */
	unsigned ec_tail_ms; /* its echo path span: 16..128 ms, 8 ms steps */
	char tones[8];	     /* national tone set (media/tones.h) */
	unsigned ringback;   /* enum conf_ringback */
	uint64_t set_mask;
	unsigned line;
	unsigned key_line[CONF_SEC_KEYS];
};

struct conf_listen {
	unsigned transport; /* enum conf_transport */
	char host[64];	    /* numeric address; IPv6 without brackets */
	uint16_t port;
};

struct conf_sip {
	struct conf_listen listen[CONF_MAX_LISTEN];
	unsigned nlisten;
	char user_agent[64];
	char tls_cert[CONF_PATH_MAX];
	char tls_key[CONF_PATH_MAX];
	char tls_ca[CONF_PATH_MAX];
	bool prack;		    /* RFC 3262 */
	unsigned session_expires_s; /* RFC 4028; 0: off */
	unsigned min_se_s;
	unsigned t1_ms;
	unsigned rtp_port_min, rtp_port_max;
	unsigned rtp_timeout_s; /* no RTP this long ends a call; 0: off */
	char trusted[256];	/* CIDR list; others are challenged */
	char auth_realm[64];	/* digest realm we challenge with */
	char auth_user[64];	/* credentials untrusted sources must give */
	char auth_password[64];
	uint64_t set_mask;
	unsigned key_line[CONF_SEC_KEYS];
};

/* One parsed configuration; owned by whoever called conf_load(). */
struct conf {
	char path[256];
	struct conf_general general;
	struct conf_span *span[CONF_MAX_SPANS + 1]; /* by span number */
	unsigned nspans;
	struct conf_tg tg[CONF_MAX_TGS];
	unsigned ntg;
	struct conf_sip sip;
};

/*
 * Parses and validates the file. Returns 0 with *cp set, or -errno with a
 * message ("file:line: ...") in err.
 */
int conf_load(struct conf **cp, const char *path, char *err, size_t errcap);
/* The same from memory (tests); `name` stands for the file in messages. */
int conf_load_buf(struct conf **cp, const char *name, const char *text,
		  char *err, size_t errcap);
void conf_free(struct conf *c);

/* Prints the configuration normalised: every key, defaults included. */
void conf_print(const struct conf *c, FILE *f);
/* Prints every section's keys with default and meaning (gwd -k). */
void conf_print_keys(FILE *f);

const char *conf_switch_name(enum conf_switch sw);
const char *conf_side_name(enum conf_side side);
const char *conf_hunt_name(enum conf_hunt hunt);
const char *conf_transport_name(enum conf_transport tp);
/* libpri's PRI_SWITCH_* for our switch type on a span of this layout. */
int conf_switch_pri(enum conf_switch sw, enum tdm_layout layout);
/* Whether the switch type has SERVICE messages (ANSI T1.607 / NI-2). */
bool conf_switch_has_service(enum conf_switch sw);

/* Looks up a trunk group by name; NULL if none. */
const struct conf_tg *conf_tg_find(const struct conf *c, const char *name);

#endif

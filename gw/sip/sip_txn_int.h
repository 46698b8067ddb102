/*
 * Private parts of the SIP transaction layer shared by sip_txn.c (the
 * layer, message dispatch, matching indexes), sip_txn_srv.c (server
 * transactions, RFC 3261 §17.2) and sip_txn_cli.c (client transactions,
 * §17.1). Not for use outside these three files.
 */
#ifndef GW_SIP_TXN_INT_H
#define GW_SIP_TXN_INT_H

#include <netinet/in.h>

#include "sip/sip_txn.h"

#define SIP_TXN_MAGIC	   "z9hG4bK" /* RFC 3261 §8.1.1.7 branch cookie */
#define SIP_TXN_TAG_CAP	   64	     /* To tags we keep for matching */
#define SIP_TXN_TIMER_D_MS 32000u    /* §17.1.1.2: at least 32 s on UDP */

/* An intrusive hash table entry; `obj` is the transaction holding it. */
struct txn_hnode {
	struct txn_hnode *next;
	uint32_t hash;
	bool linked;
	void *obj;
};

/* Chained hash table, power-of-two buckets, grown at load factor 1. */
struct txn_htab {
	struct txn_hnode **b;
	unsigned nb; /* buckets */
	unsigned n;  /* entries */
};

/* Doubly linked list of every transaction, live or awaiting free. */
struct txn_link {
	struct txn_link *prev, *next;
	bool server; /* in a struct sip_stx, else a struct sip_ctx */
};

/*
 * What a request is matched by, as views into its buffer (§17.2.3). ok
 * false when a mandatory header is missing or malformed.
 */
struct txn_keys {
	struct sip_via via; /* top Via */
	bool via_ok;
	bool rfc3261; /* branch starts with the magic cookie */
	struct pl callid;
	struct sip_cseq cseq;
	struct pl from_tag, to_tag; /* unset when absent */
	bool ok;
};

struct sip_txn {
	struct loop *loop;
	struct sip_txn_io io;
	struct sip_txn_handlers h;
	void *arg;
	unsigned t1_ms, t2_ms, t4_ms, max_txns;
	unsigned live; /* transactions in the indexes */

	struct txn_htab stx_branch; /* RFC 3261 server txns: branch+sent-by */
	struct txn_htab stx_dlg;    /* all server txns: Call-ID + CSeq num */
	struct txn_htab ctx_branch; /* client txns: branch */
	struct txn_link all;	    /* every sip_stx and sip_ctx */

	uint8_t rnd[192]; /* CSPRNG pool for branches */
	size_t rnd_used;
	uint64_t rnd_ctr; /* mixed in if getrandom ever fails */
	uint32_t hseed;	  /* hash seed, against chosen collisions */
};

enum stx_state {
	STX_TRYING, /* non-INVITE, nothing sent; INVITE: Proceeding, idem */
	STX_PROCEEDING,
	STX_COMPLETED,
	STX_CONFIRMED,
	STX_ACCEPTED,
	STX_TERMINATED,
};

/* A server transaction; owned by the layer (sip_txn.all). */
struct sip_stx {
	struct sip_txn *t;
	struct txn_link all;
	struct txn_hnode hn_branch, hn_dlg;
	enum stx_state state;
	bool invite;
	bool reliable;
	bool layer_only; /* answered by the layer (CANCEL): no TU events */
	bool tp_error;	 /* TERMINATED is preceded by TP_ERROR */

	char *req; /* private copy of the request */
	struct sip_msg msg;
	struct txn_keys k; /* views into req */
	struct sip_peer src;
	char received[INET6_ADDRSTRLEN]; /* "" when not added */
	int rport;			 /* source port for rport, or 0 */

	char *resp; /* last response sent */
	size_t resp_len;
	unsigned resp_code;
	char to_tag[SIP_TXN_TAG_CAP]; /* To tag of our responses */

	struct loop_timer tm_retx; /* G, or the 200 ms 100 Trying timer */
	struct loop_timer tm_end;  /* H, I, J, L */
	unsigned g_ms;
	struct loop_defer d_end; /* TERMINATED event and free */

	sip_stx_fn *fn;
	void *user;
};

enum ctx_state {
	CTX_CALLING, /* INVITE Calling, non-INVITE Trying */
	CTX_PROCEEDING,
	CTX_COMPLETED,
	CTX_ACCEPTED,
	CTX_TERMINATED,
};

/* A client transaction; owned by the layer (sip_txn.all). */
struct sip_ctx {
	struct sip_txn *t;
	struct txn_link all;
	struct txn_hnode hn;
	enum ctx_state state;
	bool invite;
	bool reliable;
	bool tu_done;	    /* the TU will not touch ct again */
	bool got_1xx;	    /* a provisional response arrived */
	bool cancel_wanted; /* sip_ctx_cancel called */
	bool cancel_sent;

	char *req; /* private copy of the request */
	size_t req_len;
	struct sip_msg msg;
	struct sip_via via; /* top Via, views into req */
	struct sip_cseq cseq;
	struct sip_peer to;
	char *ack; /* ACK for a non-2xx final (§17.1.1.3) */
	size_t ack_len;
	char *cancel_hdrs; /* extra_hdrs of a pending CANCEL */

	struct loop_timer tm_retx; /* A, E */
	struct loop_timer tm_end;  /* B, D, F, K, M, CANCEL guard */
	unsigned retx_ms;
	int err;		 /* error to report at termination */
	struct loop_defer d_end; /* error callback and free */

	sip_ctx_fn *fn;
	void *arg;
};

/* ---- sip_txn.c ---- */
uint32_t txn_hash(const void *p, size_t n, uint32_t h);
uint32_t txn_hash_lower(const void *p, size_t n, uint32_t h);
void txn_htab_add(struct txn_htab *ht, struct txn_hnode *hn, uint32_t hash,
		  void *obj);
void txn_htab_del(struct txn_htab *ht, struct txn_hnode *hn);
struct txn_hnode *txn_htab_first(const struct txn_htab *ht, uint32_t hash);
void txn_link_add(struct sip_txn *t, struct txn_link *l);
void txn_link_del(struct txn_link *l);
int txn_keys_get(const struct sip_msg *m, struct txn_keys *k);
uint32_t txn_branch_hash(const struct sip_txn *t, const struct sip_via *v);
uint32_t txn_dlg_hash(const struct sip_txn *t, struct pl callid, uint32_t cseq);
bool txn_method_eq(const struct sip_msg *a, const struct sip_msg *b);
extern const struct sip_limits txn_copy_limits;
int txn_print_response(char **out, const struct sip_msg *m, unsigned code,
		       const char *reason, const char *to_tag,
		       const char *received, int rport, const char *hdrs,
		       const char *ctype, const void *body, size_t body_len);
void txn_stateless_tag(const struct sip_txn *t, const struct sip_msg *m,
		       char *buf, size_t cap);
void txn_received(const struct sip_via *v, const struct sip_peer *src,
		  char *received, size_t cap, int *rport);
int txn_respond_stateless(struct sip_txn *t, const struct sip_msg *m,
			  const struct sip_via *top, const struct sip_peer *src,
			  unsigned code, const char *reason, const char *hdrs);

/* ---- sip_txn_srv.c ---- */
struct sip_stx *stx_match(struct sip_txn *t, const struct sip_msg *m,
			  const struct txn_keys *k, bool for_cancel);
bool stx_merged(struct sip_txn *t, const struct sip_msg *m,
		const struct txn_keys *k);
int stx_create(struct sip_txn *t, const struct sip_msg *m,
	       const struct sip_peer *src, struct sip_stx **stp);
void stx_retransmission(struct sip_stx *st);
void stx_ack(struct sip_stx *st, const struct sip_msg *m,
	     const struct sip_peer *src);
void stx_cancel(struct sip_txn *t, const struct sip_msg *m,
		const struct txn_keys *k, const struct sip_peer *src);
void stx_destroy(struct sip_stx *st);

/* ---- sip_txn_cli.c ---- */
void ctx_recv_response(struct sip_txn *t, const struct sip_msg *m,
		       const struct sip_peer *src);
void ctx_destroy(struct sip_ctx *ct);

#endif

/*
 * Reference bytes for tests/engine/wire/xfrm_nl.test.ts and pfkey.test.ts, built with the real
 * uapi structs (Debian linux-libc-dev 6.1: <linux/xfrm.h>, <linux/netlink.h>, <linux/pfkeyv2.h>)
 * on x86_64, independently of the TypeScript emitters. Build: gcc gen.c -o gen && ./gen > messages.txt
 * Each output line: "<name> <hex>". The XFRM ones were also fed to iproute2 6.1
 * `ip xfrm monitor file <bin>`; its output is ip-xfrm-monitor.txt.
 */
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/xfrm.h>
#include <linux/pfkeyv2.h>
#include <linux/ipsec.h>

static unsigned char buf[4096];
static size_t len;

static void dump(const char *name) {
  printf("%s ", name);
  for (size_t i = 0; i < len; i++) printf("%02x", buf[i]);
  printf("\n");
  char path[128];
  snprintf(path, sizeof path, "/tmp/kc/c_%s.bin", name);
  FILE *f = fopen(path, "wb");
  if (f) { fwrite(buf, 1, len, f); fclose(f); }
}

static struct nlmsghdr *nl(int type, int flags, int seq, size_t body) {
  memset(buf, 0, sizeof buf);
  struct nlmsghdr *h = (struct nlmsghdr *)buf;
  h->nlmsg_type = type; h->nlmsg_flags = flags; h->nlmsg_seq = seq; h->nlmsg_pid = 0;
  len = NLMSG_LENGTH(body);
  h->nlmsg_len = len;
  return h;
}
static void *attr(int type, size_t n) {
  struct rtattr *a = (struct rtattr *)(buf + NLMSG_ALIGN(len));
  a->rta_type = type; a->rta_len = RTA_LENGTH(n);
  len = NLMSG_ALIGN(len) + RTA_ALIGN(a->rta_len);
  ((struct nlmsghdr *)buf)->nlmsg_len = len;
  return RTA_DATA(a);
}
static void a4(xfrm_address_t *x, const char *s) { inet_pton(AF_INET, s, &x->a4); }
static void inf(struct xfrm_lifetime_cfg *l) {
  l->soft_byte_limit = l->hard_byte_limit = l->soft_packet_limit = l->hard_packet_limit = XFRM_INF;
}
static void sel_net(struct xfrm_selector *s) {
  a4(&s->saddr, "10.1.0.0"); a4(&s->daddr, "10.2.0.0"); s->prefixlen_s = s->prefixlen_d = 16; s->family = AF_INET;
}
static void tmpl(struct xfrm_user_tmpl *t) {
  a4(&t->id.daddr, "192.0.2.2"); t->id.proto = IPPROTO_ESP; t->family = AF_INET; a4(&t->saddr, "192.0.2.1");
  t->reqid = 16389; t->mode = XFRM_MODE_TUNNEL; t->aalgos = t->ealgos = t->calgos = ~0u;
}
static void policy(struct xfrm_userpolicy_info *p, int dir) {
  sel_net(&p->sel); inf(&p->lft); p->priority = 2084814; p->dir = dir; p->action = XFRM_POLICY_ALLOW;
}
static void sa(struct xfrm_usersa_info *s, unsigned spi) {
  a4(&s->id.daddr, "192.0.2.2"); s->id.spi = htonl(spi); s->id.proto = IPPROTO_ESP; a4(&s->saddr, "192.0.2.1");
  inf(&s->lft); s->lft.soft_packet_limit = 10; s->seq = 1; s->reqid = 16389; s->family = AF_INET;
  s->mode = XFRM_MODE_TUNNEL; s->replay_window = 32; s->flags = XFRM_STATE_AF_UNSPEC;
}
static void aead(void) {
  struct xfrm_algo_aead *a = attr(XFRMA_ALG_AEAD, sizeof(*a) + 20);
  strcpy(a->alg_name, "rfc4106(gcm(aes))"); a->alg_key_len = 160; a->alg_icv_len = 128;
  for (int i = 0; i < 20; i++) a->alg_key[i] = i + 1;
}

/* PF_KEY helpers: bsd = 1 lays sockaddr_in out with sin_len first. */
static int bsd;
static struct sadb_msg *pk(int type, int satype, int seq) {
  memset(buf, 0, sizeof buf);
  struct sadb_msg *m = (struct sadb_msg *)buf;
  m->sadb_msg_version = PF_KEY_V2; m->sadb_msg_type = type; m->sadb_msg_satype = satype; m->sadb_msg_seq = seq; m->sadb_msg_pid = 4242;
  len = sizeof *m; m->sadb_msg_len = len / 8;
  return m;
}
static void *ext(int type, size_t n) {
  struct sadb_ext *e = (struct sadb_ext *)(buf + len);
  e->sadb_ext_type = type; e->sadb_ext_len = n / 8; len += n;
  ((struct sadb_msg *)buf)->sadb_msg_len = len / 8;
  return e;
}
static void sockin(unsigned char *p, const char *a) {
  if (bsd) { p[0] = 16; p[1] = AF_INET; } else { uint16_t f = AF_INET; memcpy(p, &f, 2); }
  inet_pton(AF_INET, a, p + 4);
}
static void addr(int type, const char *a, int plen, int proto) {
  struct sadb_address *x = ext(type, sizeof(*x) + 16);
  x->sadb_address_proto = proto; x->sadb_address_prefixlen = plen; sockin((unsigned char *)(x + 1), a);
}
static void sa2(int mode, unsigned reqid) {
  struct sadb_x_sa2 *x = ext(SADB_X_EXT_SA2, sizeof *x); x->sadb_x_sa2_mode = mode; x->sadb_x_sa2_reqid = reqid;
}

int main(void) {
  struct nlmsghdr *h;
  /* t1: trap policy OUT 10.1/16 -> 10.2/16 */
  h = nl(XFRM_MSG_UPDPOLICY, NLM_F_REQUEST | NLM_F_ACK, 1, sizeof(struct xfrm_userpolicy_info));
  policy(NLMSG_DATA(h), XFRM_POLICY_OUT);
  tmpl(attr(XFRMA_TMPL, sizeof(struct xfrm_user_tmpl)));
  dump("xfrm_updpolicy_out");
  /* ack */
  h = nl(NLMSG_ERROR, 0, 1, sizeof(struct nlmsgerr));
  { struct nlmsgerr *e = NLMSG_DATA(h); e->error = 0; e->msg.nlmsg_len = 252; e->msg.nlmsg_type = XFRM_MSG_UPDPOLICY; e->msg.nlmsg_flags = 5; e->msg.nlmsg_seq = 1; }
  dump("nlmsg_ack");
  /* t2: kernel ACQUIRE */
  h = nl(XFRM_MSG_ACQUIRE, 0, 0, sizeof(struct xfrm_user_acquire));
  {
    struct xfrm_user_acquire *q = NLMSG_DATA(h);
    a4(&q->id.daddr, "192.0.2.2"); q->id.proto = IPPROTO_ESP; a4(&q->saddr, "192.0.2.1");
    a4(&q->sel.saddr, "10.1.0.5"); a4(&q->sel.daddr, "10.2.0.7"); q->sel.prefixlen_s = q->sel.prefixlen_d = 32; q->sel.family = AF_INET;
    q->sel.proto = IPPROTO_ICMP; q->sel.sport = htons(8); q->sel.sport_mask = 0xffff; q->sel.dport = 0; q->sel.dport_mask = 0xffff;
    policy(&q->policy, XFRM_POLICY_OUT); q->aalgos = q->ealgos = q->calgos = ~0u; q->seq = 1;
    tmpl(attr(XFRMA_TMPL, sizeof(struct xfrm_user_tmpl)));
    struct xfrm_userpolicy_type *t = attr(XFRMA_POLICY_TYPE, sizeof *t); t->type = XFRM_POLICY_TYPE_MAIN;
  }
  dump("xfrm_acquire");
  /* t4: ALLOCSPI for the inbound SA (peer -> us) */
  h = nl(XFRM_MSG_ALLOCSPI, NLM_F_REQUEST, 2, sizeof(struct xfrm_userspi_info));
  {
    struct xfrm_userspi_info *x = NLMSG_DATA(h);
    a4(&x->info.saddr, "192.0.2.2"); a4(&x->info.id.daddr, "192.0.2.1"); x->info.id.proto = IPPROTO_ESP;
    x->info.family = AF_INET; x->info.mode = XFRM_MODE_TUNNEL; x->info.reqid = 16389; x->min = 0x1000; x->max = 0xffffffff;
  }
  dump("xfrm_allocspi");
  /* t5: outbound NEWSA with AES-GCM-16 */
  h = nl(XFRM_MSG_NEWSA, NLM_F_REQUEST | NLM_F_ACK, 3, sizeof(struct xfrm_usersa_info));
  sa(NLMSG_DATA(h), 0xc1a0b2c3); aead();
  dump("xfrm_newsa");
  /* UPDSA (inbound, replacing the larval SA) */
  h = nl(XFRM_MSG_UPDSA, NLM_F_REQUEST | NLM_F_ACK, 4, sizeof(struct xfrm_usersa_info));
  {
    struct xfrm_usersa_info *s = NLMSG_DATA(h); sa(s, 0xd4e5f607);
    a4(&s->id.daddr, "192.0.2.1"); a4(&s->saddr, "192.0.2.2"); aead();
  }
  dump("xfrm_updsa");
  /* FWD policy */
  h = nl(XFRM_MSG_UPDPOLICY, NLM_F_REQUEST | NLM_F_ACK, 5, sizeof(struct xfrm_userpolicy_info));
  {
    struct xfrm_userpolicy_info *p = NLMSG_DATA(h); policy(p, XFRM_POLICY_FWD);
    a4(&p->sel.saddr, "10.2.0.0"); a4(&p->sel.daddr, "10.1.0.0");
    struct xfrm_user_tmpl *t = attr(XFRMA_TMPL, sizeof *t); tmpl(t); a4(&t->id.daddr, "192.0.2.1"); a4(&t->saddr, "192.0.2.2");
  }
  dump("xfrm_updpolicy_fwd");
  /* t7: soft EXPIRE */
  h = nl(XFRM_MSG_EXPIRE, 0, 0, sizeof(struct xfrm_user_expire));
  { struct xfrm_user_expire *e = NLMSG_DATA(h); sa(&e->state, 0xc1a0b2c3); e->state.curlft.packets = 10; e->hard = 0; }
  dump("xfrm_expire_soft");
  /* DELSA request */
  h = nl(XFRM_MSG_DELSA, NLM_F_REQUEST | NLM_F_ACK, 9, sizeof(struct xfrm_usersa_id));
  { struct xfrm_usersa_id *d = NLMSG_DATA(h); a4(&d->daddr, "192.0.2.2"); d->spi = htonl(0xc1a0b2c3); d->family = AF_INET; d->proto = IPPROTO_ESP; }
  dump("xfrm_delsa");
  /* kernel DELSA notification (xfrm_notify_sa: usersa_id + XFRMA_SA) */
  h = nl(XFRM_MSG_DELSA, 0, 9, sizeof(struct xfrm_usersa_id));
  {
    struct xfrm_usersa_id *d = NLMSG_DATA(h); a4(&d->daddr, "192.0.2.2"); d->spi = htonl(0xc1a0b2c3); d->family = AF_INET; d->proto = IPPROTO_ESP;
    sa(attr(XFRMA_SA, sizeof(struct xfrm_usersa_info)), 0xc1a0b2c3);
  }
  dump("xfrm_delsa_notify");

  for (bsd = 0; bsd <= 1; bsd++) {
    char name[64];
#define D(n) do { snprintf(name, sizeof name, "%s_%s", bsd ? "pfkey_bsd" : "pfkey_linux", n); dump(name); } while (0)
    pk(SADB_REGISTER, SADB_SATYPE_ESP, 1); D("register");
    /* GETSPI <base, X_SA2, ADDRESS_SRC, ADDRESS_DST, SPIRANGE> (kernel_pfkeyv2.c pfkeyv2_get_ipsec_spi) */
    pk(SADB_GETSPI, SADB_SATYPE_ESP, 2); sa2(IPSEC_MODE_ANY, 16389);
    addr(SADB_EXT_ADDRESS_SRC, "192.0.2.2", 32, IPSEC_PROTO_ANY); addr(SADB_EXT_ADDRESS_DST, "192.0.2.1", 32, IPSEC_PROTO_ANY);
    { struct sadb_spirange *r = ext(SADB_EXT_SPIRANGE, sizeof *r); r->sadb_spirange_min = 0x1000; r->sadb_spirange_max = 0xffffffff; }
    D("getspi");
    /* ADD <base, SA, X_SA2, ADDRESS_SRC, ADDRESS_DST, KEY_ENCRYPT, LIFETIME_HARD, LIFETIME_SOFT> */
    pk(SADB_ADD, SADB_SATYPE_ESP, 3);
    { struct sadb_sa *s = ext(SADB_EXT_SA, sizeof *s); s->sadb_sa_spi = htonl(0xc1a0b2c3); s->sadb_sa_replay = 32; s->sadb_sa_state = SADB_SASTATE_MATURE; s->sadb_sa_encrypt = SADB_X_EALG_AES_GCM_ICV16; }
    sa2(IPSEC_MODE_TUNNEL, 16389);
    addr(SADB_EXT_ADDRESS_SRC, "192.0.2.1", 32, IPSEC_PROTO_ANY); addr(SADB_EXT_ADDRESS_DST, "192.0.2.2", 32, IPSEC_PROTO_ANY);
    { struct sadb_key *k = ext(SADB_EXT_KEY_ENCRYPT, sizeof(*k) + 24); k->sadb_key_bits = 160; for (int i = 0; i < 20; i++) ((unsigned char *)(k + 1))[i] = i + 1; }
    { struct sadb_lifetime *l = ext(SADB_EXT_LIFETIME_HARD, sizeof *l); l->sadb_lifetime_addtime = 28800; }
    { struct sadb_lifetime *l = ext(SADB_EXT_LIFETIME_SOFT, sizeof *l); l->sadb_lifetime_allocations = 0; l->sadb_lifetime_addtime = 27000; }
    D("add");
    /* X_SPDADD out, tunnel request (len in bytes: 16 + 2 sockaddrs = 48) */
    pk(SADB_X_SPDADD, SADB_SATYPE_UNSPEC, 4);
    addr(SADB_EXT_ADDRESS_SRC, "10.1.0.0", 16, IPSEC_ULPROTO_ANY); addr(SADB_EXT_ADDRESS_DST, "10.2.0.0", 16, IPSEC_ULPROTO_ANY);
    {
      struct sadb_x_policy *p = ext(SADB_X_EXT_POLICY, sizeof(*p) + sizeof(struct sadb_x_ipsecrequest) + 32);
      p->sadb_x_policy_type = IPSEC_POLICY_IPSEC; p->sadb_x_policy_dir = IPSEC_DIR_OUTBOUND; p->sadb_x_policy_priority = 0;
      struct sadb_x_ipsecrequest *q = (struct sadb_x_ipsecrequest *)(p + 1);
      q->sadb_x_ipsecrequest_len = sizeof(*q) + 32; q->sadb_x_ipsecrequest_proto = IPPROTO_ESP; q->sadb_x_ipsecrequest_mode = IPSEC_MODE_TUNNEL;
      q->sadb_x_ipsecrequest_level = IPSEC_LEVEL_REQUIRE; q->sadb_x_ipsecrequest_reqid = 16389;
      sockin((unsigned char *)(q + 1), "192.0.2.1"); sockin((unsigned char *)(q + 1) + 16, "192.0.2.2");
    }
    D("spdadd");
    /* kernel ACQUIRE <base, ADDRESS_SRC, ADDRESS_DST, X_POLICY, PROPOSAL(1 comb)> (af_key.c pfkey_send_acquire) */
    pk(SADB_ACQUIRE, SADB_SATYPE_ESP, 1); ((struct sadb_msg *)buf)->sadb_msg_pid = 0;
    addr(SADB_EXT_ADDRESS_SRC, "192.0.2.1", 32, 0); addr(SADB_EXT_ADDRESS_DST, "192.0.2.2", 32, 0);
    { struct sadb_x_policy *p = ext(SADB_X_EXT_POLICY, sizeof *p); p->sadb_x_policy_type = IPSEC_POLICY_IPSEC; p->sadb_x_policy_dir = IPSEC_DIR_OUTBOUND; p->sadb_x_policy_id = 1; }
    {
      struct sadb_prop *p = ext(SADB_EXT_PROPOSAL, sizeof(*p) + sizeof(struct sadb_comb)); p->sadb_prop_replay = 32;
      struct sadb_comb *c = (struct sadb_comb *)(p + 1); c->sadb_comb_encrypt = SADB_X_EALG_AES_GCM_ICV16;
      c->sadb_comb_encrypt_minbits = 128; c->sadb_comb_encrypt_maxbits = 256; c->sadb_comb_hard_addtime = 28800; c->sadb_comb_soft_addtime = 23040;
    }
    D("acquire");
  }
  return 0;
}

// Package guard keeps the mail intake from looping and from answering mail it
// must not trust (SPEC §4.3 and §4.4).
//
// It has two independent parts:
//
//   - Automated decides from a message's header whether it was written by a
//     machine (auto-reply, bounce, feedback report, list traffic,
//     challenge/response, our own mail). Such a message gets no reply and
//     causes no change.
//   - CheckAuth reads the topmost Authentication-Results field (RFC 8601)
//     added by the receiving server and rejects a message whose DMARC
//     failed for its From domain, or, when asked, one without a pass
//     aligned with its From domain.
//
// The per-sender reply limit of §4.4 is kept by the ledger, with the
// requests, so that a duplicate never counts and a limit never refuses a
// request.
//
// # Choices worth knowing
//
// Mailing lists: a message carrying List-Id or List-Unsubscribe is ignored
// even when a human wrote it and a list merely relayed it. Answering a list
// would send the desk's reply (and any confirmation) to every subscriber, so
// a customer must write to the desk directly.
//
// X-Auto-Response-Suppress is a request ("do not auto-answer me"), not a
// statement that the message is automatic. Exchange puts it on its own
// out-of-office replies and reports, but it also reaches ordinary human
// mail: mail expanded from an Exchange distribution group (GLPI #2170),
// organisations' transport rules that add it to list and ticket mail, and
// applications that want no out-of-office noise (MS-OXCMAIL 2.1.3.2.20;
// osTicket #5320 and sisimai #491 dropped or misread human mail by treating
// it as "automatic"). Here it never
// decides on its own: it only counts when it suppresses OOF or auto-replies
// (All, OOF or AutoReply) and the subject also carries an auto-reply marker
// somewhere (for instance "RE: Automatic reply: …" or a localised "Out of
// Office" not at the start). A subject that starts with a known auto-reply
// or bounce prefix is enough by itself, with or without the header.
//
// Authentication-Results: only the topmost field whose authserv-id equals
// the trusted id is read (SPEC §4.3). The receiving server is expected to
// remove fields that claim its id from incoming mail (RFC 8601 §5), which is
// what makes the id worth trusting, and the topmost one is its own even when
// it fails to. A server that splits its results over several fields (one
// per milter, say OpenDKIM and OpenDMARC) is read only for the topmost of
// them: the fields below cannot be told from forgeries. A pass counts only
// when aligned with the From domain: dmarc=pass for that domain, dkim=pass
// signed by it or by a parent that is not a public suffix, spf=pass for an
// envelope sender in it or below it; dmarc=fail for another domain refuses
// nothing.
//
// Microsoft 365 writes fields without an authserv-id and repeats the
// receiving domain as a bare item between the results. Such a field is
// attributed to the trusted id when one of those bare items equals it, but
// only when no standard field from the trusted id exists, and only the
// topmost one: a server that writes the standard form would not strip a
// forged field of the other form.
//
// Beyond the rules SPEC §4.4 names, Automated also ignores other RFC 2369
// list fields (List-Post, List-Help, …, ezmlm's Mailing-List), Exim's
// X-Failed-Recipients, no-reply senders (noreply@, no-reply-…@), Hotmail's
// non-ARF complaint reports, and known bounce and auto-reply subjects in
// the languages of the corpora. They catch machine mail of the shared corpora
// that carries none of the standard markers, and no human message there
// trips them.
package guard

package main

import (
	"time"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/prometheus/client_golang/prometheus"
)

// mailMetrics counts what the IMAP watcher does (SPEC §6: messages seen,
// applied, refused, ignored; lag).
type mailMetrics struct {
	seen, failed, reconnects prometheus.Counter
	done                     *prometheus.CounterVec
	lag                      prometheus.Histogram
}

// replyMetrics counts what the SMTP sender does (replies sent, retries).
type replyMetrics struct {
	sent, retries, failed prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*mailMetrics, *replyMetrics) {
	m := &mailMetrics{
		seen:       prometheus.NewCounter(prometheus.CounterOpts{Name: "licensedesk_mail_messages_seen_total", Help: "Customer emails fetched from the mailbox."}),
		failed:     prometheus.NewCounter(prometheus.CounterOpts{Name: "licensedesk_mail_messages_failed_total", Help: "Customer emails moved to the Failed folder."}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{Name: "licensedesk_mail_imap_reconnects_total", Help: "IMAP sessions that ended and were started again."}),
		done: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "licensedesk_mail_messages_total",
			Help: "Customer emails processed, by outcome (applied, refused, ignored, pending_approval, ...)."}, []string{"status"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "licensedesk_mail_lag_seconds",
			Help: "Time from a message's arrival in the mailbox to its processing.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 14)}),
	}
	r := &replyMetrics{
		sent:    prometheus.NewCounter(prometheus.CounterOpts{Name: "licensedesk_mail_replies_sent_total", Help: "Replies accepted by the SMTP server."}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{Name: "licensedesk_mail_reply_retries_total", Help: "Reply attempts that failed and will be repeated."}),
		failed:  prometheus.NewCounter(prometheus.CounterOpts{Name: "licensedesk_mail_replies_failed_total", Help: "Replies given up (permanent SMTP refusal)."}),
	}
	reg.MustRegister(m.seen, m.failed, m.reconnects, m.done, m.lag, r.sent, r.retries, r.failed)
	return m, r
}

func (m *mailMetrics) Seen()                     { m.seen.Inc() }
func (m *mailMetrics) Done(status ledger.Status) { m.done.WithLabelValues(string(status)).Inc() }
func (m *mailMetrics) Failed()                   { m.failed.Inc() }
func (m *mailMetrics) Lag(d time.Duration)       { m.lag.Observe(d.Seconds()) }
func (m *mailMetrics) Reconnect()                { m.reconnects.Inc() }

func (r *replyMetrics) Sent()   { r.sent.Inc() }
func (r *replyMetrics) Retry()  { r.retries.Inc() }
func (r *replyMetrics) Failed() { r.failed.Inc() }

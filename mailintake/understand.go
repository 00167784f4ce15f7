package mailintake

import (
	"bytes"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake/decode"
	"github.com/licensedesk/licensedesk/mailintake/guard"
	"github.com/licensedesk/licensedesk/mailintake/quote"
	"github.com/licensedesk/licensedesk/mailintake/reader"
)

// Understanding is what the pipeline reads from a message before it asks
// the ledger anything: the decoded message, whether a machine sent it, the
// text the sender wrote, and the request in it.
type Understanding struct {
	Message   *decode.Message
	Automated bool
	Reason    guard.Reason
	Body      string
	Reading   reader.Reading
}

// Understand runs the CPU-bound steps of Ingest on raw bytes: decode with
// bounds, the loop guards, quote and signature stripping, and the request
// reader (with the tenant's domains, but not its holdings: a family name
// such as "E3" and a "from N to M" are then asked about, issue 9). It is
// what `licensedesk bench mail` and BenchmarkUnderstand measure (SPEC §8:
// raw bytes to request).
func Understand(raw []byte, cat *ledger.Catalog, domains, own []string) (Understanding, error) {
	msg, err := decode.Parse(bytes.NewReader(raw), decode.DefaultLimits())
	if err != nil {
		return Understanding{}, err
	}
	u := Understanding{Message: msg}
	from := ""
	if msg.From != nil {
		from = msg.From.Email
	}
	if u.Automated, u.Reason = guard.Automated(msg.Header, msg.ContentType, from, msg.HasReport, own); u.Automated {
		return u, nil
	}
	u.Body = quote.Strip(msg.Text)
	u.Reading = reader.Read(msg.Subject, u.Body, cat, reader.Options{Domains: domains})
	return u, nil
}

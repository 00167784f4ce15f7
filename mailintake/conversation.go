package mailintake

import (
	"context"
	"errors"

	"github.com/licensedesk/licensedesk/internal/clip"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake/decode"
	"github.com/licensedesk/licensedesk/mailintake/reader"
)

// maxTurns bounds the earlier messages a request carries from its
// conversation.
const maxTurns = 10

// conversation is the earlier request a message answers (SPEC §4.6).
type conversation struct {
	req ledger.Request
	res ledger.Result
	// asked is the result whose questions the answer may complete: res,
	// or, when res only answered a question of the customer's in the
	// middle of the conversation, the request before it that asked.
	asked ledger.Result
}

// continuation finds the conversation a message continues: the request its
// [LD-…] tag or threading headers name, when that request is the sender's
// tenant's and younger than the pending lifetime. Anyone else's thread, a
// forged or unknown tag, or an old conversation gives nil: the message is
// then read as a new one, from a new sender (§4.3), and nothing of the
// other thread is revealed.
func (in *Intake) continuation(ctx context.Context, msg *decode.Message, req ledger.Request) (*conversation, error) {
	id := referencedRequest(msg)
	if id == "" {
		return nil, nil
	}
	earlier, res, err := in.ledger.Recorded(ctx, req.Tenant, id)
	if errors.Is(err, ledger.ErrUnknownRequest) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := in.ledger.Clock().Now()
	if now.Sub(res.At) > ledger.PendingLifetime {
		return nil, nil // a conversation older than 30 days: a new request
	}
	c := &conversation{req: earlier, res: res, asked: res}
	if res.Status == ledger.StatusAnswered && earlier.Continues != "" {
		// "How many free P2 do we have?" answered in the middle of a
		// question: the answer after it still completes that question.
		_, before, err := in.ledger.Recorded(ctx, req.Tenant, earlier.Continues)
		switch {
		case err == nil && before.Status == ledger.StatusNeedsClarification && now.Sub(before.At) <= ledger.PendingLifetime:
			c.asked = before
		case err != nil && !errors.Is(err, ledger.ErrUnknownRequest):
			return nil, err
		}
	}
	return c, nil
}

// maxQuestionsInARow is how many questions in a row the desk asks in one
// conversation before an answer that settles nothing is attached without
// a reply (SPEC §4.4: never loop).
const maxQuestionsInARow = 3

// askedInARow counts the desk's questions at the end of the conversation:
// the earlier request and the turns before it that needed clarification.
func (c *conversation) askedInARow() int {
	if c.res.Status != ledger.StatusNeedsClarification {
		return 0
	}
	n := 1
	for i := len(c.req.Thread) - 1; i >= 0 && c.req.Thread[i].Status == ledger.StatusNeedsClarification; i-- {
		n++
	}
	return n
}

// thread is the conversation so far, oldest first: the earlier request's
// own thread, then the earlier request, bounded.
func (c *conversation) thread() []ledger.Turn {
	turns := append([]ledger.Turn(nil), c.req.Thread...)
	turns = append(turns, ledger.Turn{RequestID: c.req.ID, From: c.req.Origin.From,
		Text: clip.Text(c.req.Text, 500), Status: c.res.Status, At: c.res.At})
	if len(turns) > maxTurns {
		turns = turns[len(turns)-maxTurns:]
	}
	return turns
}

// onlyNoRequest reports whether a reading found nothing at all to ask
// about: no issue, or only NoRequestFound.
func onlyNoRequest(issues []reader.Issue) bool {
	for _, is := range issues {
		if is.Code != ledger.NoRequestFound {
			return false
		}
	}
	return true
}

// context is what the earlier request leaves for an answer to complete
// (SPEC §4.6): what it understood and what it asked.
func (c *conversation) context() *reader.Context {
	res := c.asked
	understood := res.Understood
	if len(understood) == 0 {
		for _, o := range res.Ops {
			understood = append(understood, ledger.Op{Kind: o.Op, SKU: o.SKU, Quantity: o.Quantity, Users: o.Users, To: o.To})
		}
	}
	return &reader.Context{Understood: understood, Missing: res.Errors, Refused: res.Status == ledger.StatusRefused}
}

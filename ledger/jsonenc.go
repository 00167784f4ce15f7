package ledger

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The signatures the encoders below were written for (see jsonSignature).
const (
	sigRequest = "8d6f989b318a85bb"
	sigResult  = "a24b4d142e7ddb01"
	sigSubs    = "14ac280313b067cf"
	sigUser    = "1d80732aee638733"
)

// opaqueJSON are types the encoders hand to encoding/json whole: rare
// parts of a record, not worth a hand-written encoder.
var opaqueJSON = map[reflect.Type]bool{
	reflect.TypeFor[time.Time](): true,
	reflect.TypeFor[Answer]():    true,
	reflect.TypeFor[Turn]():      true,
}

// fastJSON says which hand-written encoders match their types.
var fastJSON = struct{ request, result, subs, user bool }{
	request: jsonSignature(reflect.TypeFor[Request]()) == sigRequest,
	result:  jsonSignature(reflect.TypeFor[Result]()) == sigResult,
	subs:    jsonSignature(reflect.TypeFor[[]Subscription]()) == sigSubs,
	user:    jsonSignature(reflect.TypeFor[User]()) == sigUser,
}

// jsonSignature hashes the names, tags and types of the fields of t and of
// every struct type it reaches, but for the opaque ones.
func jsonSignature(t reflect.Type) string {
	var b strings.Builder
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] || opaqueJSON[t] {
			return
		}
		seen[t] = true
		fmt.Fprintf(&b, "%s{", t.Name())
		for i := range t.NumField() {
			f := t.Field(i)
			fmt.Fprintf(&b, "%s %s %q;", f.Name, f.Type, f.Tag.Get("json"))
		}
		b.WriteString("}")
		for i := range t.NumField() {
			walk(t.Field(i).Type)
		}
	}
	walk(t)
	h := fnv.New64a()
	h.Write([]byte(b.String()))
	return fmt.Sprintf("%016x", h.Sum64())
}

// any writes v with encoding/json.
func (e *encoder) any(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		e.fail()
		e.raw("null")
		return
	}
	e.b = append(e.b, b...)
}

// Hand-written JSON encoders for what every request writes: the stored
// subscription lists and users, and the request and result of its audit
// record. encoding/json spends most of its time in reflection, and this is
// the ledger's hot path (SPEC §8). Each encoder writes exactly the bytes
// json.Marshal writes for the same value, so everything that reads these
// values (views, export, history) keeps using encoding/json.
//
// The types evolve. Each encoder is used only while the fields of its type
// (and of the types it reaches) are those it was written for: a signature
// of them, computed once by reflection, must equal the one recorded below;
// otherwise that type is encoded by encoding/json, slower but right. The
// tests fail on such a mismatch (TestJSONSignaturesAreCurrent) and compare
// every field, filled by reflection, with json.Marshal.

var errJSONValue = errors.New("ledger: value cannot be encoded as JSON")

// encoder appends JSON to b; err keeps the first value that had no JSON
// form (a NaN, a year past 9999), as json.Marshal would refuse it.
type encoder struct {
	b   []byte
	err error
}

const hexDigits = "0123456789abcdef"

// htmlSafe reports the ASCII bytes that json.Marshal writes as they are.
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for i := 0x20; i < utf8.RuneSelf; i++ {
		t[i] = i != '"' && i != '\\' && i != '<' && i != '>' && i != '&'
	}
	return t
}()

// str writes s as a JSON string, escaped as json.Marshal escapes it (HTML
// characters, U+2028 and U+2029 included; invalid UTF-8 becomes U+FFFD).
func (e *encoder) str(s string) {
	b := append(e.b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if htmlSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	e.b = append(b, '"')
}

func (e *encoder) raw(s string) { e.b = append(e.b, s...) }

// key writes ,"name": (or "name": first in an object).
func (e *encoder) key(k string) {
	if n := len(e.b); n > 0 && e.b[n-1] != '{' && e.b[n-1] != '[' {
		e.b = append(e.b, ',')
	}
	e.b = append(e.b, '"')
	e.b = append(e.b, k...)
	e.b = append(e.b, '"', ':')
}

func (e *encoder) int(n int64) { e.b = strconv.AppendInt(e.b, n, 10) }

func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, "true"...)
	} else {
		e.b = append(e.b, "false"...)
	}
}

// float writes f as json.Marshal does for a float64.
func (e *encoder) float(f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		e.fail()
		e.b = append(e.b, '0')
		return
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(e.b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	e.b = b
}

// time writes t as time.Time.MarshalJSON does (RFC 3339 with nanoseconds).
func (e *encoder) time(t time.Time) {
	if y := t.Year(); y < 0 || y > 9999 {
		e.fail()
	}
	e.b = append(e.b, '"')
	e.b = t.AppendFormat(e.b, time.RFC3339Nano)
	e.b = append(e.b, '"')
}

func (e *encoder) fail() {
	if e.err == nil {
		e.err = errJSONValue
	}
}

// array writes items as a JSON array, null for a nil slice (as
// json.Marshal does), each item by each: the one loop of every list.
func array[T any](e *encoder, items []T, each func(*encoder, *T)) {
	if items == nil {
		e.raw("null")
		return
	}
	e.b = append(e.b, '[')
	for i := range items {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		each(e, &items[i])
	}
	e.b = append(e.b, ']')
}

func (e *encoder) strs(list []string) { array(e, list, (*encoder).strAt) }

func (e *encoder) strAt(s *string) { e.str(*s) }

// Field helpers for omitempty and omitzero fields.
func (e *encoder) optStr(k, v string) {
	if v != "" {
		e.key(k)
		e.str(v)
	}
}

func (e *encoder) optInt(k string, v int64) {
	if v != 0 {
		e.key(k)
		e.int(v)
	}
}

func (e *encoder) optTrue(k string, v bool) {
	if v {
		e.key(k)
		e.raw("true")
	}
}

func (e *encoder) optTime(k string, t time.Time) {
	if !t.IsZero() {
		e.key(k)
		e.time(t)
	}
}

func (e *encoder) optStrs(k string, v []string) {
	if len(v) > 0 {
		e.key(k)
		e.strs(v)
	}
}

func (e *encoder) optFloat(k string, v *float64) {
	if v != nil {
		e.key(k)
		e.float(*v)
	}
}

// Stored values.

func (e *encoder) subscriptions(list []Subscription) { array(e, list, (*encoder).subscription) }

func (e *encoder) subscription(s *Subscription) {
	e.b = append(e.b, '{')
	e.key("id")
	e.str(s.ID)
	e.key("sku")
	e.str(s.SKU)
	e.key("state")
	e.str(s.State)
	e.key("source")
	e.str(s.Source)
	e.key("payment")
	e.str(s.Payment)
	e.optTrue("credit_check_pending", s.CreditCheckPending)
	e.key("auto_renew")
	e.bool(s.AutoRenew)
	e.key("term")
	e.str(s.Term)
	e.key("term_start")
	e.time(s.TermStart)
	e.key("term_end")
	e.time(s.TermEnd)
	e.optTime("state_since", s.StateSince)
	e.key("seats")
	e.seats(s.Seats)
	e.optInt("scheduled_reduction", int64(s.ScheduledReduction))
	e.b = append(e.b, '}')
}

func (e *encoder) seats(list []SeatBatch) {
	array(e, list, func(e *encoder, b *SeatBatch) { e.batch(*b) })
}

func (e *encoder) batch(b SeatBatch) {
	e.raw(`{"quantity":`)
	e.int(int64(b.Quantity))
	e.raw(`,"added_at":`)
	e.time(b.AddedAt)
	e.b = append(e.b, '}')
}

func (e *encoder) user(u *User) {
	if u == nil {
		e.raw("null")
		return
	}
	e.b = append(e.b, '{')
	e.key("upn")
	e.str(u.UPN)
	e.optStr("name", u.Name)
	e.optStr("usage_location", u.UsageLocation)
	e.optStrs("licenses", u.Licenses)
	if len(u.Removed) > 0 {
		e.key("removed")
		e.timeMap(u.Removed)
	}
	e.b = append(e.b, '}')
}

// timeMap writes a map with its keys sorted, as json.Marshal does.
func (e *encoder) timeMap(m map[string]time.Time) {
	if m == nil {
		e.raw("null")
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	e.b = append(e.b, '{')
	for i, k := range keys {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.str(k)
		e.b = append(e.b, ':')
		e.time(m[k])
	}
	e.b = append(e.b, '}')
}

// The request and its result.

func (e *encoder) request(r *Request) {
	if r == nil {
		e.raw("null")
		return
	}
	if !fastJSON.request {
		e.any(r)
		return
	}
	e.b = append(e.b, '{')
	e.key("id")
	e.str(r.ID)
	e.key("origin")
	e.origin(&r.Origin)
	e.key("requester")
	e.requester(&r.Requester)
	e.key("tenant")
	e.str(r.Tenant)
	e.key("ops")
	e.ops(r.Ops)
	e.optTrue("dry_run", r.DryRun)
	e.optStr("idempotency_key", r.IdempotencyKey)
	e.optStr("text", r.Text)
	e.optStr("undoes", r.Undoes)
	e.optStr("continues", r.Continues)
	if len(r.Thread) > 0 {
		e.key("thread")
		e.any(r.Thread)
	}
	e.optStr("approved_by", r.ApprovedBy)
	e.optStr("language", r.Language)
	e.b = append(e.b, '}')
}

func (e *encoder) origin(o *Origin) {
	e.b = append(e.b, '{')
	e.key("channel")
	e.str(string(o.Channel))
	e.optStr("team", o.Team)
	e.optStr("slack_channel", o.SlackChan)
	e.optStr("slack_user", o.SlackUser)
	e.optStr("response_url", o.ResponseURL)
	e.optStr("message_id", o.MessageID)
	e.optStr("from", o.From)
	e.optStr("from_name", o.FromName)
	e.optStr("subject", o.Subject)
	e.optStr("references", o.References)
	e.optStr("mailbox", o.Mailbox)
	e.optInt("uid", int64(o.UID))
	e.b = append(e.b, '}')
}

func (e *encoder) requester(r *Requester) {
	e.b = append(e.b, '{')
	e.key("id")
	e.str(r.ID)
	if len(r.Roles) > 0 {
		e.key("roles")
		array(e, r.Roles, func(e *encoder, role *Role) { e.str(string(*role)) })
	}
	e.optTrue("operator", r.Operator)
	e.b = append(e.b, '}')
}

func (e *encoder) ops(ops []Op) { array(e, ops, (*encoder).op) }

func (e *encoder) op(o *Op) {
	e.b = append(e.b, '{')
	e.key("op")
	e.str(string(o.Kind))
	e.optStr("sku", o.SKU)
	e.optInt("quantity", int64(o.Quantity))
	e.optStrs("users", o.Users)
	e.optStr("subscription", o.Subscription)
	e.optTrue("new", o.New)
	e.optTrue("at_renewal", o.AtRenewal)
	e.optTrue("create", o.Create)
	e.optTrue("auto_renew", o.AutoRenew)
	e.optStr("to", o.To)
	e.optTrue("all", o.All)
	e.optTrue("return", o.Return)
	e.b = append(e.b, '}')
}

func (e *encoder) result(r *Result) {
	if r == nil {
		e.raw("null")
		return
	}
	if !fastJSON.result {
		e.any(r)
		return
	}
	e.b = append(e.b, '{')
	e.key("request_id")
	e.str(r.RequestID)
	e.key("status")
	e.str(string(r.Status))
	e.optStr("tenant", r.Tenant)
	e.key("ops")
	array(e, r.Ops, (*encoder).opResult)
	e.key("errors")
	array(e, r.Errors, (*encoder).error)
	e.key("at")
	e.time(r.At)
	e.optStr("undoes", r.Undoes)
	if d := r.Decision; d != nil {
		e.key("decision")
		e.b = append(e.b, '{')
		e.key("by")
		e.str(d.By)
		e.key("approved")
		e.bool(d.Approved)
		e.optStr("reason", d.Reason)
		e.key("at")
		e.time(d.At)
		e.b = append(e.b, '}')
	}
	if len(r.Understood) > 0 {
		e.key("understood")
		e.ops(r.Understood)
	}
	e.optStr("language", r.Language)
	if r.Answer != nil {
		e.key("answer")
		e.any(r.Answer)
	}
	e.optTrue("reply_limited", r.ReplyLimited)
	e.b = append(e.b, '}')
}

func (e *encoder) figures(k string, f *Figures) {
	if f == nil {
		return
	}
	e.key(k)
	e.raw(`{"total":`)
	e.int(int64(f.Total))
	e.raw(`,"assigned":`)
	e.int(int64(f.Assigned))
	e.b = append(e.b, '}')
}

func (e *encoder) opResult(r *OpResult) {
	e.b = append(e.b, '{')
	e.key("op")
	e.str(string(r.Op))
	e.optStr("sku", r.SKU)
	e.optInt("quantity", int64(r.Quantity))
	e.optStrs("users", r.Users)
	e.optStr("subscription", r.Subscription)
	e.key("outcome")
	e.str(r.Outcome)
	e.optStr("code", string(r.Code))
	e.optStr("detail", r.Detail)
	e.figures("before", r.Before)
	e.figures("after", r.After)
	e.optFloat("monthly_cost", r.MonthlyCost)
	e.optFloat("prorated", r.Prorated)
	e.optStr("currency", r.Currency)
	if len(r.UserResults) > 0 {
		e.key("user_results")
		array(e, r.UserResults, (*encoder).userResult)
	}
	e.optStrs("holders", r.Holders)
	if len(r.FinalDates) > 0 {
		e.key("final_dates")
		array(e, r.FinalDates, func(e *encoder, t *time.Time) { e.time(*t) })
	}
	e.optTrue("auto_renew", r.AutoRenew)
	e.optTime("scheduled_for", r.ScheduledFor)
	e.optStr("to", r.To)
	e.figures("to_before", r.ToBefore)
	e.figures("to_after", r.ToAfter)
	e.optFloat("to_monthly_cost", r.ToCost)
	e.optInt("bought", int64(r.Bought))
	e.optInt("returned", int64(r.Returned))
	e.optInt("scheduled", int64(r.Scheduled))
	e.b = append(e.b, '}')
}

func (e *encoder) userResult(u *UserOutcome) {
	e.b = append(e.b, '{')
	e.key("upn")
	e.str(u.UPN)
	e.key("outcome")
	e.str(u.Outcome)
	e.optStr("code", string(u.Code))
	e.optStr("detail", u.Detail)
	e.optTime("data_until", u.DataUntil)
	e.optTrue("created", u.Created)
	e.b = append(e.b, '}')
}

func (e *encoder) error(x *Error) {
	e.b = append(e.b, '{')
	e.key("code")
	e.str(string(x.Code))
	e.key("message")
	e.str(x.Message)
	e.optStr("detail", x.Detail)
	e.optStrs("candidates", x.Candidates)
	if x.Partial != nil {
		e.key("partial")
		e.op(x.Partial)
	}
	e.b = append(e.b, '}')
}

// encodeSubs is the stored form of a product's subscription list.
func encodeSubs(list []Subscription) ([]byte, error) {
	if !fastJSON.subs {
		return json.Marshal(list)
	}
	n := 2
	for i := range list {
		n += 300 + 64*len(list[i].Seats)
	}
	e := encoder{b: make([]byte, 0, n)}
	e.subscriptions(list)
	return e.b, e.err
}

// encodeUser is the stored form of a user.
func encodeUser(u *User) ([]byte, error) {
	if !fastJSON.user {
		return json.Marshal(u)
	}
	e := encoder{b: make([]byte, 0, 128)}
	e.user(u)
	return e.b, e.err
}

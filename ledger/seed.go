package ledger

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/licensedesk/licensedesk/internal/fault"
	"github.com/redis/go-redis/v9"
	"gopkg.in/yaml.v3"
)

// Seed is the file of `ledger import` and `ledger export` (SPEC §6.1).
type Seed struct {
	Admins  []Admin      `json:"admins,omitempty" yaml:"admins,omitempty"`
	Catalog []Product    `json:"catalog,omitempty" yaml:"catalog,omitempty"`
	Tenants []SeedTenant `json:"tenants,omitempty" yaml:"tenants,omitempty"`
}

// SeedTenant is a tenant with its subscriptions and users.
type SeedTenant struct {
	Tenant        `yaml:",inline"`
	Subscriptions []SeedSubscription `json:"subscriptions,omitempty" yaml:"subscriptions,omitempty"`
	Users         []User             `json:"users,omitempty" yaml:"users,omitempty"`
}

// SeedSubscription is a subscription as written in a seed file: quantity is
// optional and, when given, must equal the sum of the seat batches.
type SeedSubscription struct {
	Subscription `yaml:",inline"`
	Quantity     int `json:"quantity,omitempty" yaml:"quantity,omitempty"`
}

// MaxSeedBytes bounds a seed file.
const MaxSeedBytes = 256 << 20

// ParseSeed reads a YAML or JSON seed strictly: unknown keys are errors, and
// every value is validated with an error naming the field.
func ParseSeed(r io.Reader, cat *Catalog) (*Seed, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSeedBytes+1))
	if err != nil {
		return nil, wrapf("ledger: read seed: %w", err)
	}
	if len(data) > MaxSeedBytes {
		return nil, wrapf("ledger: seed: larger than %d MiB", MaxSeedBytes>>20)
	}
	var s Seed
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return nil, wrapf("ledger: seed: %w", err)
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&s); err != nil && !errors.Is(err, io.EOF) {
			return nil, wrapf("ledger: seed: %w", err)
		}
	}
	if len(s.Catalog) > 0 {
		var err error
		if cat, err = cat.WithOverrides(s.Catalog); err != nil {
			return nil, wrapf("ledger: seed: catalog: %w", err)
		}
	}
	if err := s.validate(cat); err != nil {
		return nil, err
	}
	return &s, nil
}

var validStates = []string{StateActive, StateTrial, StateExpired, StateDisabled, StateSuspended, StateDeleted}

// validate checks and normalises the seed; the first problem is returned,
// naming its field as a path (tenants[0].subscriptions[1].state).
func (s *Seed) validate(cat *Catalog) error {
	bad := func(path, format string, args ...any) error {
		return wrapf("ledger: seed: %s: %s", path, fmt.Sprintf(format, args...))
	}
	admins := map[string]bool{}
	for i := range s.Admins {
		a := &s.Admins[i]
		path := fmt.Sprintf("admins[%d]", i)
		if a.SlackUser == "" || strings.ContainsAny(a.SlackUser, " \t<>@|") || len(a.SlackUser) > 32 {
			return bad(path+".slack_user", "%q is not a Slack user id", a.SlackUser)
		}
		if admins[a.SlackUser] {
			return bad(path+".slack_user", "%s is listed twice", a.SlackUser)
		}
		admins[a.SlackUser] = true
		if len(a.Roles) == 0 {
			return bad(path+".roles", "at least one role is needed")
		}
		for j, r := range a.Roles {
			if !ValidRole(r) {
				return bad(fmt.Sprintf("%s.roles[%d]", path, j), "%q is not one of global|billing|license|user", r)
			}
		}
	}
	tenants := map[string]bool{}
	subIDs := map[string]string{}
	for i := range s.Tenants {
		t := &s.Tenants[i]
		path := fmt.Sprintf("tenants[%d]", i)
		if !ValidTenantID(t.ID) {
			return bad(path+".id", "%q is not a tenant id ([a-z0-9][a-z0-9-]{0,62})", t.ID)
		}
		path = fmt.Sprintf("tenants[%d](%s)", i, t.ID)
		if tenants[t.ID] {
			return bad(path+".id", "tenant %s is listed twice", t.ID)
		}
		tenants[t.ID] = true
		if strings.TrimSpace(t.Name) == "" {
			t.Name = t.ID
		}
		if t.Language != "" && t.Language != "fr" && t.Language != "en" {
			return bad(path+".language", "%q is not fr or en", t.Language)
		}
		if t.UsageLocation != "" && !validCountry(t.UsageLocation) {
			return bad(path+".usage_location", "%q is not an ISO 3166 alpha-2 country code", t.UsageLocation)
		}
		t.UsageLocation = strings.ToUpper(t.UsageLocation)
		for j, d := range t.Domains {
			d = strings.ToLower(strings.TrimSpace(d))
			if !validDomain(d) {
				return bad(fmt.Sprintf("%s.domains[%d]", path, j), "%q is not a domain name", t.Domains[j])
			}
			t.Domains[j] = d
		}
		if t.CreditLimit != nil && *t.CreditLimit < 0 {
			return bad(path+".credit_limit", "must not be negative")
		}
		if t.Approval.AutoApplyMaxSeats < 0 {
			return bad(path+".approval.auto_apply_max_seats", "must not be negative")
		}
		if t.Approval.AutoApplyMaxSeats == 0 {
			t.Approval.AutoApplyMaxSeats = DefaultAutoApplyMaxSeats
		}
		for j := range t.Contacts {
			c := &t.Contacts[j]
			cpath := fmt.Sprintf("%s.contacts[%d]", path, j)
			a, err := mail.ParseAddress(c.Email)
			if err != nil || !strings.EqualFold(a.Address, strings.TrimSpace(c.Email)) {
				return bad(cpath+".email", "%q is not an email address", c.Email)
			}
			c.Email = strings.ToLower(a.Address)
			if len(c.Roles) == 0 {
				return bad(cpath+".roles", "at least one of billing|license is needed")
			}
			for k, r := range c.Roles {
				if r != RoleBilling && r != RoleLicense {
					return bad(fmt.Sprintf("%s.roles[%d]", cpath, k), "%q is not billing or license", r)
				}
			}
		}
		for j := range t.Subscriptions {
			if err := t.Subscriptions[j].validate(fmt.Sprintf("%s.subscriptions[%d]", path, j), cat, subIDs, t.ID); err != nil {
				return err
			}
		}
		upns := map[string]bool{}
		for j := range t.Users {
			u := &t.Users[j]
			upath := fmt.Sprintf("%s.users[%d]", path, j)
			u.UPN = strings.ToLower(strings.TrimSpace(u.UPN))
			if !validUPN(u.UPN) {
				return bad(upath+".upn", "%q is not a user principal name", u.UPN)
			}
			if upns[u.UPN] {
				return bad(upath+".upn", "%s is listed twice", u.UPN)
			}
			upns[u.UPN] = true
			if u.UsageLocation != "" && !validCountry(u.UsageLocation) {
				return bad(upath+".usage_location", "%q is not an ISO 3166 alpha-2 country code", u.UsageLocation)
			}
			u.UsageLocation = strings.ToUpper(u.UsageLocation)
			seen := map[string]bool{}
			for k, l := range u.Licenses {
				p, ok := cat.Get(l)
				if !ok {
					return bad(fmt.Sprintf("%s.licenses[%d]", upath, k), "%q is not a product of the catalog", l)
				}
				if seen[p.SKU] {
					return bad(fmt.Sprintf("%s.licenses[%d]", upath, k), "%s is listed twice", p.SKU)
				}
				seen[p.SKU] = true
				u.Licenses[k] = p.SKU
			}
			sort.Strings(u.Licenses)
		}
	}
	return nil
}

func (ss *SeedSubscription) validate(path string, cat *Catalog, ids map[string]string, tenant string) error {
	bad := func(field, format string, args ...any) error {
		return wrapf("ledger: seed: %s.%s: %s", path, field, fmt.Sprintf(format, args...))
	}
	s := &ss.Subscription
	if s.ID == "" || len(s.ID) > 128 || strings.ContainsAny(s.ID, " \t\r\n,") {
		return bad("id", "%q is not a subscription id", s.ID)
	}
	if other, ok := ids[s.ID]; ok {
		return bad("id", "%s is already used by tenant %s", s.ID, other)
	}
	ids[s.ID] = tenant
	p, ok := cat.Get(s.SKU)
	if !ok {
		return bad("sku", "%q is not a product of the catalog", s.SKU)
	}
	s.SKU = p.SKU
	if !slices.Contains(validStates, s.State) {
		return bad("state", "%q is not one of %s", s.State, strings.Join(validStates, "|"))
	}
	if s.Source == "" {
		s.Source = SourceDirect
	}
	if !slices.Contains([]string{SourceDirect, SourcePrepaid, SourcePartner, SourceVolume}, s.Source) {
		return bad("source", "%q is not one of direct|prepaid|partner|volume", s.Source)
	}
	if s.Payment == "" {
		s.Payment = PaymentCard
	}
	if s.Payment != PaymentCard && s.Payment != PaymentInvoice {
		return bad("payment", "%q is not card or invoice", s.Payment)
	}
	if s.Term == "" {
		s.Term = TermMonth
	}
	if s.Term != TermMonth && s.Term != TermYear {
		return bad("term", "%q is not P1M or P1Y", s.Term)
	}
	if s.TermStart.IsZero() {
		return bad("term_start", "missing (RFC 3339 time)")
	}
	if s.TermEnd.IsZero() {
		if s.State == StateTrial {
			s.TermEnd = s.TermStart.Add(TrialLength)
		} else {
			s.TermEnd = termEnd(s.TermStart, s.Term)
		}
	}
	if !s.TermEnd.After(s.TermStart) {
		return bad("term_end", "must be after term_start")
	}
	s.TermStart, s.TermEnd = s.TermStart.UTC(), s.TermEnd.UTC()
	if s.StateSince.IsZero() {
		s.StateSince = s.TermStart
		if s.State == StateExpired || s.State == StateDisabled || s.State == StateDeleted {
			s.StateSince = s.TermEnd
		}
	}
	s.StateSince = s.StateSince.UTC()
	if len(s.Seats) == 0 && ss.Quantity > 0 {
		s.Seats = []SeatBatch{{Quantity: ss.Quantity, AddedAt: s.TermStart}}
	}
	sum := 0
	for i := range s.Seats {
		b := &s.Seats[i]
		if b.Quantity <= 0 || b.Quantity > MaxQuantity {
			return bad(fmt.Sprintf("seats[%d].quantity", i), "%d is not between 1 and %d", b.Quantity, MaxQuantity)
		}
		if b.AddedAt.IsZero() {
			return bad(fmt.Sprintf("seats[%d].added_at", i), "missing (RFC 3339 time)")
		}
		b.AddedAt = b.AddedAt.UTC()
		sum += b.Quantity
	}
	if ss.Quantity != 0 && ss.Quantity != sum {
		return bad("quantity", "%d is not the sum of the seat batches (%d)", ss.Quantity, sum)
	}
	if sum > MaxQuantity {
		return bad("seats", "%d seats is more than %d", sum, MaxQuantity)
	}
	if s.ScheduledReduction < 0 || s.ScheduledReduction > sum {
		return bad("scheduled_reduction", "must be between 0 and the quantity")
	}
	ss.Quantity = 0
	return nil
}

func validCountry(c string) bool {
	if len(c) != 2 {
		return false
	}
	for _, r := range strings.ToUpper(c) {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

func validDomain(d string) bool {
	if len(d) < 3 || len(d) > 253 || !strings.Contains(d, ".") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
		return false
	}
	for _, r := range d {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// ImportFile parses a seed file and imports it.
func (l *Ledger) ImportFile(ctx context.Context, path string, opts ...ImportOptions) error {
	f, err := os.Open(path)
	if err != nil {
		return wrapf("ledger: seed: %w", err)
	}
	defer f.Close()
	seed, err := ParseSeed(f, l.Catalog())
	if err != nil {
		return err
	}
	return l.Import(ctx, seed, opts...)
}

// seedChunk is how many users one import audit record holds.
const seedChunk = 1000

// OpImport is the operation an import records in a tenant's history.
const OpImport OpKind = "import"

// ImportOptions say what Import does with the tenants of a seed that
// already exist.
type ImportOptions struct {
	// KeepExisting refuses the whole seed, changing nothing, when one of
	// its tenants already exists (SPEC §6: ledger import without
	// --replace); the error is an *ExistingTenantsError naming them.
	// Without it, existing tenants are replaced whole (serve --seed,
	// ledger import --replace).
	KeepExisting bool
	// By is who imports, for the history; "import" when empty.
	By string
}

// ExistingTenantsError refuses an import that would replace tenants.
type ExistingTenantsError struct {
	Tenants []string
}

func (e *ExistingTenantsError) Error() string {
	return fmt.Sprintf("ledger: import: %d tenants already exist: %s; nothing was changed (--replace replaces them)",
		len(e.Tenants), strings.Join(e.Tenants, ", "))
}

// Import writes a validated seed: admins and catalog overrides are set, and
// every tenant of the seed is written whole, in one transaction per tenant,
// with audit records that let ledger check replay from this point. The
// first record of each tenant says what was imported and, for a tenant
// that existed, what it replaced (history explains it). With
// KeepExisting, a seed naming a tenant that exists changes nothing.
func (l *Ledger) Import(ctx context.Context, s *Seed, opts ...ImportOptions) error {
	var opt ImportOptions
	if len(opts) > 0 {
		opt = opts[0]
	}
	if opt.By == "" {
		opt.By = "import"
	}
	if opt.KeepExisting {
		existing, err := l.existingTenants(ctx, s)
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			return fault.Permanent(&ExistingTenantsError{Tenants: existing})
		}
	}
	if len(s.Catalog) > 0 {
		b, err := json.Marshal(s.Catalog)
		if err != nil {
			return err
		}
		if err := l.rdb.Set(ctx, keyCatalog, b, 0).Err(); err != nil {
			return wrapf("ledger: import catalog: %w", err)
		}
		if err := l.Refresh(ctx); err != nil {
			return err
		}
	}
	for _, a := range s.Admins {
		b, _ := json.Marshal(a.Roles)
		if err := l.rdb.HSet(ctx, keyAdmins, a.SlackUser, b).Err(); err != nil {
			return wrapf("ledger: import admins: %w", err)
		}
	}
	for i := range s.Tenants {
		if err := l.importTenant(ctx, &s.Tenants[i], opt); err != nil {
			return err
		}
	}
	return nil
}

// existingTenants names the tenants of s that exist, sorted.
func (l *Ledger) existingTenants(ctx context.Context, s *Seed) ([]string, error) {
	pipe := l.rdb.Pipeline()
	cmds := make([]*redis.IntCmd, len(s.Tenants))
	for i := range s.Tenants {
		cmds[i] = pipe.Exists(ctx, keysFor(s.Tenants[i].ID).tenant)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, wrapf("ledger: import: %w", err)
	}
	var out []string
	for i, c := range cmds {
		if c.Val() > 0 {
			out = append(out, s.Tenants[i].ID)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (l *Ledger) importTenant(ctx context.Context, st *SeedTenant, opt ImportOptions) error {
	k := keysFor(st.ID)
	now := l.clock.Now()
	old, err := l.Tenant(ctx, st.ID)
	hadOld := err == nil
	if err != nil && !errors.Is(err, ErrUnknownTenant) {
		return err
	}
	if hadOld && opt.KeepExisting {
		return fault.Permanent(&ExistingTenantsError{Tenants: []string{st.ID}})
	}
	oldSubs, err := l.rdb.HGetAll(ctx, k.subs).Result()
	if err != nil {
		return wrapf("ledger: import %s: %w", st.ID, err)
	}
	oldSKUs := sortedKeys(oldSubs)
	oldAssignedRaw, err := l.rdb.HGetAll(ctx, k.assigned).Result()
	if err != nil {
		return wrapf("ledger: import %s: %w", st.ID, err)
	}
	oldAssigned := sortedKeys(oldAssignedRaw)
	oldUsers, err := l.rdb.HKeys(ctx, k.users).Result()
	if err != nil {
		return wrapf("ledger: import %s: %w", st.ID, err)
	}
	oldSubIDs, err := l.rdb.HKeys(ctx, k.subidx).Result()
	if err != nil {
		return wrapf("ledger: import %s: %w", st.ID, err)
	}

	subs := map[string][]Subscription{}
	for _, ss := range st.Subscriptions {
		subs[ss.SKU] = append(subs[ss.SKU], ss.Subscription)
	}
	assigned := map[string]int{}
	holders := map[string][]string{}
	for _, u := range st.Users {
		for _, sku := range u.Licenses {
			assigned[sku]++
			holders[sku] = append(holders[sku], u.UPN)
		}
	}
	tenantJSON, err := json.Marshal(st.Tenant)
	if err != nil {
		return err
	}

	// The audit records: the first resets, carries the tenant and its
	// subscriptions and says what the import did (for history); the next
	// ones carry the users in chunks.
	users := make(map[string]*User, len(st.Users))
	for i := range st.Users {
		users[st.Users[i].UPN] = &st.Users[i]
	}
	req, res := importRecord(st, opt, now, hadOld, oldSubs, oldAssignedRaw, len(oldUsers), subs, assigned)
	first := AuditRecord{Kind: "import", Reset: true, Tenant: &st.Tenant, At: now, Request: req, Result: res,
		Delta: &Delta{}}
	for _, sku := range sortedKeys(subs) {
		for i := range subs[sku] {
			s := subs[sku][i]
			first.Delta.Subs = append(first.Delta.Subs, SubDelta{SKU: sku, ID: s.ID, New: &s})
		}
	}
	var records [][]byte
	b, err := encodeAudit(&first)
	if err != nil {
		return err
	}
	records = append(records, b)
	upns := sortedKeys(users)
	for i := 0; i < len(upns); i += seedChunk {
		d := &Delta{}
		for _, upn := range upns[i:min(i+seedChunk, len(upns))] {
			d.Users = append(d.Users, UserDelta{UPN: upn, New: users[upn]})
		}
		b, err := encodeAudit(&AuditRecord{Kind: "import", At: now, Delta: d})
		if err != nil {
			return err
		}
		records = append(records, b)
	}

	write := func(p redis.Pipeliner) error {
		del := []string{k.subs, k.users, k.assigned, k.subidx, k.checkpoint}
		for _, sku := range oldAssigned {
			del = append(del, k.holders(sku))
		}
		for _, sku := range oldSKUs {
			del = append(del, k.holders(sku))
		}
		p.Del(ctx, del...)
		p.Set(ctx, k.tenant, tenantJSON, 0)
		// Versions only ever grow, so a request planned on the old state
		// cannot commit over the new one.
		for _, sku := range slices.Concat(oldSKUs, oldAssigned, sortedKeys(subs), sortedKeys(assigned), []string{tenantVersionField}) {
			p.HIncrBy(ctx, k.sver, sku, 1)
		}
		for _, upn := range slices.Concat(oldUsers, upns) {
			p.HIncrBy(ctx, k.uver, upn, 1)
		}
		for sku, list := range subs {
			b, _ := json.Marshal(list)
			p.HSet(ctx, k.subs, sku, b)
			for _, s := range list {
				p.HSet(ctx, k.subidx, s.ID, sku)
			}
		}
		for i := 0; i < len(upns); i += seedChunk {
			var args []any
			for _, upn := range upns[i:min(i+seedChunk, len(upns))] {
				b, _ := json.Marshal(users[upn])
				args = append(args, upn, b)
			}
			p.HSet(ctx, k.users, args...)
		}
		for sku, n := range assigned {
			p.HSet(ctx, k.assigned, sku, n)
			members := make([]redis.Z, 0, len(holders[sku]))
			for _, upn := range holders[sku] {
				members = append(members, redis.Z{Member: upn})
			}
			for i := 0; i < len(members); i += seedChunk {
				p.ZAdd(ctx, k.holders(sku), members[i:min(i+seedChunk, len(members))]...)
			}
		}
		for i, r := range records {
			id := "import"
			if i == 0 && req != nil {
				id = req.ID
			}
			p.XAdd(ctx, &redis.XAddArgs{Stream: k.audit, Values: []any{"req", id, "data", r}})
		}
		return nil
	}
	if opt.KeepExisting {
		// The tenant must still not exist when it is written: an import
		// racing this one is refused, not overwritten.
		err = l.rdb.Watch(ctx, func(tx *redis.Tx) error {
			n, err := tx.Exists(ctx, k.tenant).Result()
			if err != nil {
				return err
			}
			if n > 0 {
				return fault.Permanent(&ExistingTenantsError{Tenants: []string{st.ID}})
			}
			_, err = tx.TxPipelined(ctx, write)
			return err
		}, k.tenant)
		var ex *ExistingTenantsError
		if errors.As(err, &ex) {
			return err
		}
	} else {
		_, err = l.rdb.TxPipelined(ctx, write)
	}
	if err != nil {
		return wrapf("ledger: import %s: %w", st.ID, err)
	}
	l.cache.drop(st.ID)

	// Desk-wide indexes, outside the tenant's slot.
	pipe := l.rdb.Pipeline()
	pipe.SAdd(ctx, keyTenants, st.ID)
	if len(oldSubIDs) > 0 {
		pipe.HDel(ctx, keySubIdx, oldSubIDs...)
	}
	for _, ss := range st.Subscriptions {
		pipe.HSet(ctx, keySubIdx, ss.ID, st.ID)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return wrapf("ledger: import %s: %w", st.ID, err)
	}
	var oldContacts, oldDomains []string
	if hadOld {
		for _, c := range old.Contacts {
			oldContacts = append(oldContacts, c.Email)
		}
		oldDomains = old.Domains
	}
	var contacts []string
	for _, c := range st.Contacts {
		contacts = append(contacts, c.Email)
	}
	if err := l.reindex(ctx, keyContacts, st.ID, oldContacts, contacts); err != nil {
		return err
	}
	return l.reindex(ctx, keyDomains, st.ID, oldDomains, st.Domains)
}

// importRecord is the request and result an import records in the
// tenant's history: who imported, whether it replaced the tenant, and the
// figures of every product before and after (R-AUDIT).
func importRecord(st *SeedTenant, opt ImportOptions, now time.Time, hadOld bool, oldSubs, oldAssigned map[string]string,
	oldUsers int, subs map[string][]Subscription, assigned map[string]int) (*Request, *Result) {
	req := &Request{ID: NewRequestID(now), Tenant: st.ID, Origin: Origin{Channel: ChannelCLI},
		Requester: Requester{ID: opt.By, Operator: true}}
	nsubs := 0
	for _, l := range subs {
		nsubs += len(l)
	}
	if hadOld {
		oldN := 0
		for _, raw := range oldSubs {
			var l []Subscription
			_ = json.Unmarshal([]byte(raw), &l)
			oldN += len(l)
		}
		req.Text = fmt.Sprintf("ledger import: the tenant was replaced whole by the seed (before: %d subscriptions, %d users; now: %d subscriptions, %d users)",
			oldN, oldUsers, nsubs, len(st.Users))
	} else {
		req.Text = fmt.Sprintf("ledger import: new tenant (%d subscriptions, %d users)", nsubs, len(st.Users))
	}
	res := &Result{RequestID: req.ID, Status: StatusApplied, Tenant: st.ID, At: now, Errors: []Error{}}
	skus := map[string]bool{}
	for sku := range oldSubs {
		skus[sku] = true
	}
	for sku, n := range oldAssigned {
		if n != "0" {
			skus[sku] = true
		}
	}
	for sku := range subs {
		skus[sku] = true
	}
	for sku := range assigned {
		skus[sku] = true
	}
	for _, sku := range sortedKeys(skus) {
		var old []Subscription
		if raw, ok := oldSubs[sku]; ok {
			_ = json.Unmarshal([]byte(raw), &old)
		}
		oa, _ := strconv.Atoi(oldAssigned[sku])
		before := Figures{Total: totalOf(old), Assigned: oa}
		after := Figures{Total: totalOf(subs[sku]), Assigned: assigned[sku]}
		r := OpResult{Op: OpImport, SKU: sku, Outcome: OutcomeApplied, After: &after}
		if hadOld {
			r.Before = &before
		}
		if hadOld && before == after {
			r.Outcome = OutcomeUnchanged
		}
		res.Ops = append(res.Ops, r)
	}
	return req, res
}

// reindexScript moves a tenant's entries in a name -> tenants index.
var reindexScript = redis.NewScript(`
local t = ARGV[1]
local nold = tonumber(ARGV[2])
local function split(s)
  local out = {}
  for p in string.gmatch(s or '', '[^,]+') do table.insert(out, p) end
  return out
end
local function put(name, add)
  local list, out, found = split(redis.call('HGET', KEYS[1], name)), {}, false
  for _, x in ipairs(list) do
    if x == t then found = true end
    if x ~= t or add then table.insert(out, x) end
  end
  if add and not found then table.insert(out, t) end
  if #out == 0 then redis.call('HDEL', KEYS[1], name) else redis.call('HSET', KEYS[1], name, table.concat(out, ',')) end
end
for i = 1, nold do put(ARGV[2 + i], false) end
for i = 3 + nold, #ARGV do put(ARGV[i], true) end
return 1
`)

func (l *Ledger) reindex(ctx context.Context, key, tenant string, old, cur []string) error {
	args := []any{tenant, len(old)}
	for _, o := range old {
		args = append(args, o)
	}
	for _, c := range cur {
		args = append(args, c)
	}
	if err := reindexScript.Run(ctx, l.rdb, []string{key}, args...).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return wrapf("ledger: index %s: %w", key, err)
	}
	return nil
}

// Export dumps the whole ledger in the seed format; importing it back gives
// the same state.
func (l *Ledger) Export(ctx context.Context) (*Seed, error) {
	s := &Seed{}
	var err error
	if s.Admins, err = l.Admins(ctx); err != nil {
		return nil, err
	}
	raw, err := l.rdb.Get(ctx, keyCatalog).Result()
	if err == nil {
		if err := json.Unmarshal([]byte(raw), &s.Catalog); err != nil {
			return nil, wrapf("ledger: export catalog: %w", err)
		}
	} else if !errors.Is(err, redis.Nil) {
		return nil, wrapf("ledger: export catalog: %w", err)
	}
	ids, err := l.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		st, err := l.loadTenant(ctx, id)
		if err != nil {
			return nil, err
		}
		s.Tenants = append(s.Tenants, st.seed())
	}
	return s, nil
}

// tenantState is a whole tenant as stored.
type tenantState struct {
	Tenant   Tenant
	Subs     map[string][]Subscription
	Users    map[string]*User
	Assigned map[string]int
	Holders  map[string][]string
	SubIdx   map[string]string
}

func (ts *tenantState) seed() SeedTenant {
	st := SeedTenant{Tenant: ts.Tenant}
	for _, sku := range sortedKeys(ts.Subs) {
		for _, s := range ts.Subs[sku] {
			st.Subscriptions = append(st.Subscriptions, SeedSubscription{Subscription: s})
		}
	}
	for _, upn := range sortedKeys(ts.Users) {
		st.Users = append(st.Users, *ts.Users[upn])
	}
	return st
}

// loadTenant reads a whole tenant in two or three round trips (export
// and check read every tenant of the desk); users are read with HSCAN in
// pages.
func (l *Ledger) loadTenant(ctx context.Context, id string) (*tenantState, error) {
	k := keysFor(id)
	pipe := l.rdb.Pipeline()
	tc := pipe.Get(ctx, k.tenant)
	sc := pipe.HGetAll(ctx, k.subs)
	ac := pipe.HGetAll(ctx, k.assigned)
	ic := pipe.HGetAll(ctx, k.subidx)
	uc := pipe.HScan(ctx, k.users, 0, "", 1000)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, wrapf("ledger: load %s: %w", id, err)
	}
	raw, err := tc.Result()
	if errors.Is(err, redis.Nil) {
		return nil, ErrUnknownTenant
	}
	if err != nil {
		return nil, wrapf("ledger: load %s: %w", id, err)
	}
	ts := &tenantState{Subs: map[string][]Subscription{}, Users: map[string]*User{},
		Assigned: map[string]int{}, Holders: map[string][]string{}, SubIdx: ic.Val()}
	if err := json.Unmarshal([]byte(raw), &ts.Tenant); err != nil {
		return nil, wrapf("ledger: load %s: %w", id, err)
	}
	for sku, raw := range sc.Val() {
		var list []Subscription
		if err := json.Unmarshal([]byte(raw), &list); err != nil {
			return nil, wrapf("ledger: load %s subscriptions %s: %w", id, sku, err)
		}
		ts.Subs[sku] = list
	}
	skus := sortedKeys(ac.Val())
	pipe = l.rdb.Pipeline()
	hc := make([]*redis.StringSliceCmd, len(skus))
	for i, sku := range skus {
		n, _ := strconv.Atoi(ac.Val()[sku])
		ts.Assigned[sku] = n
		hc[i] = pipe.ZRange(ctx, k.holders(sku), 0, -1)
	}
	if len(skus) > 0 {
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return nil, wrapf("ledger: load %s: %w", id, err)
		}
		for i, sku := range skus {
			ts.Holders[sku] = hc[i].Val()
		}
	}
	kv, cursor, err := uc.Result()
	for {
		if err != nil {
			return nil, wrapf("ledger: load %s users: %w", id, err)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			var u User
			if err := json.Unmarshal([]byte(kv[i+1]), &u); err != nil {
				return nil, wrapf("ledger: load %s user %s: %w", id, kv[i], err)
			}
			ts.Users[kv[i]] = &u
		}
		if cursor == 0 {
			break
		}
		kv, cursor, err = l.rdb.HScan(ctx, k.users, cursor, "", 1000).Result()
	}
	return ts, nil
}

// EncodeSeed writes a seed as YAML, or JSON when asJSON.
func EncodeSeed(w io.Writer, s *Seed, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	// YAML is written a tenant at a time: yaml.v3 builds a tree of the
	// whole document, which for a desk of 100,000 users took 20 s and
	// 1.5 GB; one tenant at a time it is linear and small. The text is
	// the same as the whole document's.
	bw := bufio.NewWriter(w)
	head := &Seed{Admins: s.Admins, Catalog: s.Catalog}
	if len(head.Admins) > 0 || len(head.Catalog) > 0 || len(s.Tenants) == 0 {
		if err := encodeYAML(bw, head, ""); err != nil {
			return err
		}
	}
	if len(s.Tenants) > 0 {
		bw.WriteString("tenants:\n")
		for i := range s.Tenants {
			if err := encodeYAML(bw, []SeedTenant{s.Tenants[i]}, "  "); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// encodeYAML writes v as YAML, every line indented by indent.
func encodeYAML(w *bufio.Writer, v any, indent string) error {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	for _, line := range bytes.SplitAfter(buf.Bytes(), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if len(line) > 1 {
			w.WriteString(indent)
		}
		w.Write(line)
	}
	return nil
}

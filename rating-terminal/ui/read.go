package ui

import "fyne.io/fyne/v2/widget"

// View is what the terminal shows, in words: tests read it instead of
// walking the widget tree.
type View struct {
	Screen   Screen
	Banner   string // the connection banner, "" while live
	Office   string
	Window   string // at rest: «Окно 1»
	Unbound  bool   // at rest: the device has no window
	Ticket   string // «Талон А015 — Паспорт гражданина РФ»
	Progress string // «Вопрос 2 из 5»
	Question string
	Values   []string // the answers offered, in the form's order
	Chosen   string   // the answer chosen to the question shown, "" for none
	Phone    string   // «+7 912 ___-__-__»
	Problem  string   // why the number was not taken
	Consent  bool
	Status   string // «Отправляем оценку…» while a request is out
	Thanks   string
	Refusal  string // the server's sentence
	Busy     bool
}

// View reads the screen.
func (t *Terminal) View() View {
	t.mu.Lock()
	defer t.mu.Unlock()
	v := &t.v
	out := View{Screen: t.screen, Banner: v.banner.Text(), Office: v.office.Text, Status: v.status.Text, Busy: t.busy}
	switch t.screen {
	case ScreenIdle:
		out.Window, out.Unbound = v.window.Text, v.unbound.Visible()
	case ScreenRate:
		out.Ticket, out.Progress, out.Question = v.ticket.Text, v.progress.Text, v.question.Text
		for _, b := range v.Values {
			if b.Visible() {
				out.Values = append(out.Values, b.Text)
				if b.Importance == widget.HighImportance {
					out.Chosen = b.Text
				}
			}
		}
	case ScreenPhone:
		out.Phone, out.Consent = v.number.Text, t.consent
		if v.problem.Visible() {
			out.Problem = v.problem.Text
		}
	case ScreenThanks:
		out.Thanks = v.thanksText.Text
	case ScreenRefused:
		out.Refusal = v.refusal.Text
	}
	return out
}

// ValueButton is the answer button i of the question shown.
func (t *Terminal) ValueButton(i int) *widget.Button {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.v.Values[i]
}

// Buttons of the question screen.
func (t *Terminal) BackButton() *widget.Button { return t.v.Back }
func (t *Terminal) NextButton() *widget.Button { return t.v.Next }
func (t *Terminal) SkipButton() *widget.Button { return t.v.Skip }
func (t *Terminal) SendButton() *widget.Button { return t.v.Send }

// Widgets of the phone screen.
func (t *Terminal) Key(digit int) *widget.Button    { return t.v.Keys[digit] }
func (t *Terminal) EraseButton() *widget.Button     { return t.v.Erase }
func (t *Terminal) ConsentButton() *widget.Button   { return t.v.Consent }
func (t *Terminal) SendPhoneButton() *widget.Button { return t.v.SendPhone }
func (t *Terminal) NoPhoneButton() *widget.Button   { return t.v.NoPhone }
func (t *Terminal) PhoneBackButton() *widget.Button { return t.v.PhoneBack }

// DoneButton leaves a refusal.
func (t *Terminal) DoneButton() *widget.Button { return t.v.Done }

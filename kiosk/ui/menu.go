package ui

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/queue-server/domain"
)

// MenuItem is one group or service on the menu: a large button with the
// name and, for a service, its queue or why it takes no tickets.
type MenuItem struct {
	Button *widget.Button
	Name   *widget.Label
	Info   *widget.Label
	node   domain.Service
	obj    fyne.CanvasObject
}

type menuView struct {
	k     *Kiosk
	title *widget.Label
	Back  *widget.Button
	// CheckIn opens the keypad for an appointment's code.
	CheckIn *widget.Button
	items   map[string]*MenuItem
	order   []*MenuItem
	// levels keeps each level of the menu once built, by parent id: the
	// kiosk comes back to the menu after every ticket, and widgets built
	// anew each time would pile up in Fyne's renderer cache (37 MB over
	// 500 tickets before). A new menu from the server forgets them.
	levels map[string]*menuLevel
}

// menuLevel is one built level of the menu.
type menuLevel struct {
	obj   fyne.CanvasObject
	items map[string]*MenuItem
	order []*MenuItem
}

func newMenuView(k *Kiosk) menuView {
	m := menuView{k: k, title: widget.NewLabel(""), items: map[string]*MenuItem{}, levels: map[string]*menuLevel{}}
	m.title.TextStyle.Bold = true
	m.title.SizeName = theme.SizeNameSubHeadingText
	m.Back = widget.NewButton("", func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		if len(k.path) > 0 && !k.busy {
			k.path = k.path[:len(k.path)-1]
			k.render()
		}
		k.poke()
	})
	m.CheckIn = widget.NewButton("", k.openCheckIn)
	m.CheckIn.Importance = widget.HighImportance
	return m
}

// touchTarget keeps a control at least MinTouchHeight high.
func touchTarget(o fyne.CanvasObject) fyne.CanvasObject {
	return sized(o, terminal.MinTouchHeight, terminal.MinTouchHeight)
}

// sized keeps o at least w×h.
func sized(o fyne.CanvasObject, w, h float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(w, h))
	return container.NewStack(r, o)
}

// render shows the current level of the menu, built the first time.
func (m *menuView) render() fyne.CanvasObject {
	k := m.k
	parent := ""
	if n := len(k.path); n > 0 {
		parent = k.path[n-1]
	}
	if parent == "" {
		m.title.SetText(k.str.ChooseService)
	} else {
		m.title.SetText(k.services[parent].Name)
	}
	m.Back.SetText(k.str.Back)
	m.CheckIn.SetText(k.str.CheckInEntry)
	lv := m.levels[parent]
	if lv == nil {
		lv = m.build(parent)
		m.levels[parent] = lv
	}
	m.items, m.order = lv.items, lv.order
	m.update()
	return lv.obj
}

// build makes the widgets of one level of the menu.
func (m *menuView) build(parent string) *menuLevel {
	lv := &menuLevel{items: map[string]*MenuItem{}}
	grid := container.NewGridWithColumns(2)
	for _, s := range m.k.children[parent] {
		it := m.newItem(s)
		lv.items[s.ID] = it
		lv.order = append(lv.order, it)
		grid.Add(it.obj)
	}
	top := []fyne.CanvasObject{container.NewBorder(nil, nil, nil, sized(m.CheckIn, 320, terminal.MinTouchHeight), m.title)}
	if parent != "" {
		top = []fyne.CanvasObject{container.NewHBox(touchTarget(m.Back), m.title)}
	}
	lv.obj = container.NewBorder(container.NewVBox(top...), nil, nil, nil, container.NewVScroll(grid))
	return lv
}

// forget drops the built levels: the server's menu changed.
func (m *menuView) forget() { m.levels = map[string]*menuLevel{} }

func (m *menuView) newItem(s domain.Service) *MenuItem {
	it := &MenuItem{node: s, Name: widget.NewLabel(s.Name), Info: widget.NewLabel("")}
	it.Name.TextStyle.Bold = true
	it.Name.Wrapping = fyne.TextWrapWord
	it.Info.Wrapping = fyne.TextWrapWord
	id := s.ID
	it.Button = widget.NewButton("", func() { m.k.tapped(id) })
	// The labels lie over an empty button: a tap anywhere on the card
	// reaches it, as labels take no taps.
	text := container.NewVBox(it.Name, it.Info)
	if s.IsGroup {
		text = container.NewBorder(nil, nil, nil, widget.NewLabel("›"), text)
	}
	it.obj = touchTarget(container.NewStack(it.Button, container.NewPadded(text)))
	return it
}

// update shows each item's queue and whether it can be tapped now, without
// rebuilding the menu: the load changes with every ticket in the office.
func (m *menuView) update() {
	k := m.k
	live := k.synced && k.Banner.Live()
	enable(m.CheckIn, live)
	for _, it := range m.order {
		s := it.node
		info, enabled := "", live
		switch {
		case s.IsGroup:
			info = k.str.Services(k.countServices(s.ID))
		default:
			sl := k.load[s.ID]
			ok, reason := k.avail.Available(s, sl, k.lang)
			switch {
			case !ok:
				info, enabled = reason, false
			case !live || !k.loadOK:
				// A queue length that may be stale is not shown at all.
			case sl.Waiting == 0:
				info = k.str.NoQueue
			default:
				info = k.str.Waiting(sl.Waiting) + " · " + k.str.Minutes(time.Duration(sl.EstimatedWaitSeconds)*time.Second)
			}
		}
		it.Info.SetText(info)
		if enabled {
			it.Button.Enable()
			it.Name.Importance, it.Info.Importance = widget.MediumImportance, widget.MediumImportance
		} else {
			it.Button.Disable()
			it.Name.Importance, it.Info.Importance = widget.LowImportance, widget.LowImportance
		}
		it.Name.Refresh()
		it.Info.Refresh()
	}
}

// countServices counts the services a group leads to, however deep.
func (k *Kiosk) countServices(group string) int {
	n := 0
	for _, c := range k.children[group] {
		if c.IsGroup {
			n += k.countServices(c.ID)
		} else {
			n++
		}
	}
	return n
}

func (k *Kiosk) updateMenu() {
	if k.screen == ScreenMenu {
		k.menu.update()
	}
}

// tapped enters a group or takes a ticket for a service.
func (k *Kiosk) tapped(id string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	defer k.poke()
	s, ok := k.services[id]
	if !ok || k.busy || k.screen != ScreenMenu || !k.Banner.Live() {
		return
	}
	if s.IsGroup {
		k.path = append(k.path, id)
		k.render()
		return
	}
	if ok, _ := k.avail.Available(s, k.load[id], k.lang); !ok {
		return
	}
	k.take(s)
}

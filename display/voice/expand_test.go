package voice

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

// spell is an independent speller for the test: the 37 words in three
// place-value tables, the way a person writes a number out.
func spell(n int) string {
	units := []string{"", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"}
	teens := []string{"десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать", "шестнадцать", "семнадцать", "восемнадцать", "девятнадцать"}
	tens := []string{"", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят", "восемьдесят", "девяносто"}
	hundreds := []string{"", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот", "восемьсот", "девятьсот"}
	if n == 0 {
		return "ноль"
	}
	w := []string{hundreds[n/100]}
	if r := n % 100; r >= 10 && r < 20 {
		w = append(w, teens[r-10])
	} else {
		w = append(w, tens[r/10], units[r%10])
	}
	return strings.Join(strings.Fields(strings.Join(w, " ")), " ")
}

func TestEveryNumberByPlaceValue(t *testing.T) {
	used := map[string]bool{}
	for n := 0; n <= MaxNumber; n++ {
		segs := number(n)
		if got, want := words(segs), spell(n); got != want {
			t.Errorf("%d: says %q, want %q", n, got, want)
		}
		// Place value: each segment is one place's value (hundreds, then
		// tens or a teen, then units), largest first, adding up to n.
		sum, last := 0, MaxNumber+1
		for _, s := range segs {
			v, err := strconv.Atoi(strings.TrimPrefix(s.ID, "n"))
			if err != nil || s.ID != "n"+strconv.Itoa(v) {
				t.Fatalf("%d: segment %q is not a number", n, s.ID)
			}
			if v >= last || (v >= 100 && v%100 != 0) || (v >= 20 && v < 100 && v%10 != 0) {
				t.Errorf("%d: segments %v are not by place value", n, segs)
			}
			sum, last = sum+v, v
			used[s.ID] = true
		}
		if sum != n {
			t.Errorf("%d: segments %v add up to %d", n, segs, sum)
		}
	}
	if len(used) != 37 || len(numberWords) != 37 {
		t.Errorf("numbers 0–999 use %d recorded numbers of %d, want all 37", len(used), len(numberWords))
	}
}

func TestNumbersSpotChecked(t *testing.T) {
	for n, want := range map[int]string{
		1: "один", 2: "два", 10: "десять", 11: "одиннадцать", 19: "девятнадцать", 20: "двадцать",
		21: "двадцать один", 40: "сорок", 99: "девяносто девять", 100: "сто", 101: "сто один",
		110: "сто десять", 115: "сто пятнадцать", 125: "сто двадцать пять", 200: "двести",
		302: "триста два", 999: "девятьсот девяносто девять",
	} {
		if got := words(number(n)); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
}

// letterNames is the name each prefix letter is announced by.
var letterNames = map[rune]string{
	'А': "а", 'Б': "бэ", 'В': "вэ", 'Г': "гэ", 'Д': "дэ", 'Е': "е", 'Ё': "ё", 'Ж': "жэ",
	'З': "зэ", 'И': "и", 'Й': "и краткое", 'К': "ка", 'Л': "эль", 'М': "эм", 'Н': "эн",
	'О': "о", 'П': "пэ", 'Р': "эр", 'С': "эс", 'Т': "тэ", 'У': "у", 'Ф': "эф", 'Х': "ха",
	'Ц': "цэ", 'Ч': "че", 'Ш': "ша", 'Щ': "ща", 'Ъ': "твёрдый знак", 'Ы': "ы",
	'Ь': "мягкий знак", 'Э': "э", 'Ю': "ю", 'Я': "я",
}

func TestEveryPrefixLetter(t *testing.T) {
	alphabet := []rune(domain.PrefixAlphabet)
	if len(alphabet) != len(letters) {
		t.Errorf("the server allows %d prefix letters, the voice has %d", len(alphabet), len(letters))
	}
	for _, r := range alphabet {
		segs, err := Expand(string(r)+"5", 3)
		if err != nil {
			t.Errorf("%c: %v", r, err)
			continue
		}
		want := fmt.Sprintf("Талон %s пять пройдите к окну номер три", letterNames[r])
		if got := words(segs[1:]); got != want || segs[0] != chime {
			t.Errorf("%c: %v says %q, want the chime and %q", r, segs, got, want)
		}
	}
}

func TestExpand(t *testing.T) {
	for _, c := range []struct {
		ticket string
		window int
		want   []string
	}{
		{"А115", 3, []string{"chime", "talon", "letter-a", "n100", "n15", "window", "n3"}},
		{"Б125", 12, []string{"chime", "talon", "letter-be", "n100", "n20", "n5", "window", "n12"}},
		{"ЗЯ007", 1, []string{"chime", "talon", "letter-ze", "letter-ya", "n7", "window", "n1"}},
		{"Й1", 999, []string{"chime", "talon", "letter-i-kratkoe", "n1", "window", "n900", "n90", "n9"}},
		{"А000", 0, []string{"chime", "talon", "letter-a", "n0", "window", "n0"}},
		{"ЪЬ999", 40, []string{"chime", "talon", "letter-tvyordy", "letter-myagky", "n900", "n90", "n9", "window", "n40"}},
	} {
		segs, err := Expand(c.ticket, c.window)
		if err != nil {
			t.Errorf("%s to %d: %v", c.ticket, c.window, err)
			continue
		}
		var ids []string
		for _, s := range segs {
			ids = append(ids, s.ID)
		}
		if !slices.Equal(ids, c.want) {
			t.Errorf("%s to %d: %v, want %v", c.ticket, c.window, ids, c.want)
		}
	}
}

func TestExpandRefusesWhatItCannotSay(t *testing.T) {
	for _, c := range []struct {
		ticket string
		window int
		want   string
	}{
		{"", 1, "нужны одна или две буквы и номер"},
		{"115", 1, "нужны одна или две буквы и номер"},
		{"А", 1, "нужны одна или две буквы и номер"},
		{"АБВ1", 1, "нужны одна или две буквы и номер"},
		{"А12б", 1, "нужны одна или две буквы и номер"},
		{"A1", 1, "для буквы «A» нет записи"}, // Latin A
		{"а1", 1, "для буквы «а» нет записи"},
		{"А1000", 1, "номер больше 999"},
		{"А99999999999999999999", 1, "номер больше 999"},
		{"А1", -1, "окно номер -1 не озвучить"},
		{"А1", 1000, "окно номер 1000 не озвучить"},
	} {
		_, err := Expand(c.ticket, c.window)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q to %d: error %v, want one saying %q", c.ticket, c.window, err, c.want)
		}
	}
}

func TestText(t *testing.T) {
	for _, c := range []struct {
		ticket string
		window int
		want   string
	}{
		{"А115", 3, "Талон А сто пятнадцать, пройдите к окну номер три"},
		{"ЗЯ007", 21, "Талон ЗЯ семь, пройдите к окну номер двадцать один"},
	} {
		got, err := Text(c.ticket, c.window)
		if err != nil || got != c.want {
			t.Errorf("%s to %d: %q, %v; want %q", c.ticket, c.window, got, err, c.want)
		}
	}
	if _, err := Text("А1000", 1); err == nil {
		t.Error("Text of a number the voice cannot say: no error")
	}
}

// FuzzExpand: a ticket number comes from the server; whatever it is, the
// voice either refuses it with a sentence or says it with recorded segments
// only, and the text on screen is the same call.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"А115", "ЗЯ007", "А", "115", "Й0", "АБВ1", "A1", "А1000", "Ъ\x00"} {
		f.Add(s, 3)
	}
	set := testSet(f)
	f.Fuzz(func(t *testing.T, ticket string, window int) {
		segs, err := Expand(ticket, window)
		if err != nil {
			if _, terr := Text(ticket, window); terr == nil {
				t.Errorf("%q: Expand refuses (%v), Text does not", ticket, err)
			}
			return
		}
		if _, err := set.assemble(segs); err != nil {
			t.Errorf("%q to %d: %v", ticket, window, err)
		}
		text, err := Text(ticket, window)
		if err != nil || !strings.HasPrefix(text, "Талон ") {
			t.Errorf("%q to %d: text %q, %v", ticket, window, text, err)
		}
	})
}

package voice

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Segment is one recorded piece of a call: ID names its file in the
// segment set, Words is what it says (the chime says nothing).
type Segment struct {
	ID    string
	Words string
}

// The phrases around the ticket and the window.
var (
	chime  = Segment{"chime", ""}
	talon  = Segment{"talon", "Талон"}
	window = Segment{"window", "пройдите к окну номер"}
)

// MaxNumber is the largest ticket or window number the voice can say:
// hundreds, tens and units are recorded, thousands are not.
const MaxNumber = 999

// numberWords are the recorded numbers: 0–19 (the teens are single words),
// the tens 20–90 and the hundreds 100–900, everything a number up to 999
// is built from by place value.
//
// All are cardinals in the nominative masculine ("один", "два"), and no
// agreement with a noun is needed: in "талон А сто один" and "окну номер
// два" the number names the ticket or window (it follows "номер" or the
// letter) instead of counting something, and a naming number stays in the
// nominative whatever the case of the noun before it ("к окну номер три",
// not "к окну третьему"), so one recording per number serves both places.
var numberWords = map[int]string{
	0: "ноль", 1: "один", 2: "два", 3: "три", 4: "четыре", 5: "пять",
	6: "шесть", 7: "семь", 8: "восемь", 9: "девять", 10: "десять",
	11: "одиннадцать", 12: "двенадцать", 13: "тринадцать", 14: "четырнадцать",
	15: "пятнадцать", 16: "шестнадцать", 17: "семнадцать", 18: "восемнадцать",
	19: "девятнадцать",
	20: "двадцать", 30: "тридцать", 40: "сорок", 50: "пятьдесят",
	60: "шестьдесят", 70: "семьдесят", 80: "восемьдесят", 90: "девяносто",
	100: "сто", 200: "двести", 300: "триста", 400: "четыреста", 500: "пятьсот",
	600: "шестьсот", 700: "семьсот", 800: "восемьсот", 900: "девятьсот",
}

// letters are the recorded names of the letters a ticket prefix may use
// (domain.PrefixAlphabet): the name a person says, "бэ" for Б, so that
// espeak-ng does not read a lone consonant as a sound.
var letters = map[rune]Segment{
	'А': {"letter-a", "а"}, 'Б': {"letter-be", "бэ"}, 'В': {"letter-ve", "вэ"},
	'Г': {"letter-ge", "гэ"}, 'Д': {"letter-de", "дэ"}, 'Е': {"letter-ye", "е"},
	'Ё': {"letter-yo", "ё"}, 'Ж': {"letter-zhe", "жэ"}, 'З': {"letter-ze", "зэ"},
	'И': {"letter-i", "и"}, 'Й': {"letter-i-kratkoe", "и краткое"},
	'К': {"letter-ka", "ка"}, 'Л': {"letter-el", "эль"}, 'М': {"letter-em", "эм"},
	'Н': {"letter-en", "эн"}, 'О': {"letter-o", "о"}, 'П': {"letter-pe", "пэ"},
	'Р': {"letter-er", "эр"}, 'С': {"letter-es", "эс"}, 'Т': {"letter-te", "тэ"},
	'У': {"letter-u", "у"}, 'Ф': {"letter-ef", "эф"}, 'Х': {"letter-kha", "ха"},
	'Ц': {"letter-tse", "цэ"}, 'Ч': {"letter-che", "че"}, 'Ш': {"letter-sha", "ша"},
	'Щ': {"letter-shcha", "ща"}, 'Ъ': {"letter-tvyordy", "твёрдый знак"},
	'Ы': {"letter-y", "ы"}, 'Ь': {"letter-myagky", "мягкий знак"},
	'Э': {"letter-e", "э"}, 'Ю': {"letter-yu", "ю"}, 'Я': {"letter-ya", "я"},
}

// Expand turns a call into the segments that speak it, in order: chime,
// "Талон", the prefix letters, the ticket number by place value (leading
// zeros are not spoken: "А007" is "А семь"), "пройдите к окну номер" and
// the window number. A ticket is one or two prefix letters then digits.
func Expand(ticket string, windowNumber int) ([]Segment, error) {
	prefix, digits := splitTicket(ticket)
	if n := utf8.RuneCountInString(prefix); n < 1 || n > 2 || digits == "" {
		return nil, fmt.Errorf("талон «%s» не озвучить: нужны одна или две буквы и номер", ticket)
	}
	segs := []Segment{chime, talon}
	for _, r := range prefix {
		l, ok := letters[r]
		if !ok {
			return nil, fmt.Errorf("талон «%s» не озвучить: для буквы «%c» нет записи", ticket, r)
		}
		segs = append(segs, l)
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n > MaxNumber {
		return nil, fmt.Errorf("талон «%s» не озвучить: номер больше %d", ticket, MaxNumber)
	}
	segs = append(segs, number(n)...)
	if windowNumber < 0 || windowNumber > MaxNumber {
		return nil, fmt.Errorf("окно номер %d не озвучить: номера окон от 1 до %d", windowNumber, MaxNumber)
	}
	segs = append(segs, window)
	return append(segs, number(windowNumber)...), nil
}

// splitTicket parts a ticket into its leading non-digits and the rest,
// which is returned only if it is all ASCII digits.
func splitTicket(ticket string) (prefix, digits string) {
	i := strings.IndexFunc(ticket, func(r rune) bool { return r >= '0' && r <= '9' })
	if i < 0 {
		return ticket, ""
	}
	prefix, digits = ticket[:i], ticket[i:]
	if strings.Trim(digits, "0123456789") != "" {
		return prefix, ""
	}
	return prefix, digits
}

// number is n (0–999) by place value: 125 is сто, двадцать, пять; 115 is
// сто, пятнадцать; 0 alone is ноль.
func number(n int) []Segment {
	if n == 0 {
		return []Segment{numberSegment(0)}
	}
	var segs []Segment
	if h := n / 100 * 100; h > 0 {
		segs = append(segs, numberSegment(h))
	}
	switch rest := n % 100; {
	case rest >= 10 && rest <= 19:
		segs = append(segs, numberSegment(rest))
	default:
		if t := rest / 10 * 10; t > 0 {
			segs = append(segs, numberSegment(t))
		}
		if u := rest % 10; u > 0 {
			segs = append(segs, numberSegment(u))
		}
	}
	return segs
}

func numberSegment(n int) Segment {
	return Segment{"n" + strconv.Itoa(n), numberWords[n]}
}

// Text is the call as a person reads it on the board, the words the voice
// says with the prefix written as letters: "Талон А сто пятнадцать,
// пройдите к окну номер три", "Талон ЗЯ семь, …".
func Text(ticket string, windowNumber int) (string, error) {
	if _, err := Expand(ticket, windowNumber); err != nil {
		return "", err
	}
	prefix, digits := splitTicket(ticket)
	n, _ := strconv.Atoi(digits) // Expand has checked the digits
	return fmt.Sprintf("%s %s %s, %s %s", talon.Words, prefix, words(number(n)), window.Words, words(number(windowNumber))), nil
}

func words(segs []Segment) string {
	w := make([]string, len(segs))
	for i, s := range segs {
		w[i] = s.Words
	}
	return strings.Join(w, " ")
}

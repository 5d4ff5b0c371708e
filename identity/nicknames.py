"""Nicknames and short forms of given names (English, German, French), folded to canonical
names.

Used by :func:`identity.normalize.canonical_first_name` so that Bob, Bobby and Robert are one
name for matching, and by :func:`identity.compare.names_compatible`, where a short form that
stands for several names (Chris: Christopher, Christine; Kathy: Katherine, Kathleen) fits each
of them. Each line: the canonical name (ASCII, as :func:`identity.normalize.normalize_name`
folds it), then its short forms.
"""

from __future__ import annotations

__all__ = ["GIVEN_NAMES", "NAME_FORMS", "NAME_GROUPS", "NICKNAMES"]

_TABLE = """
abigail abby abbie gail
albert al bert bertie
alexander alex alec sasha xander
alexandra alex lexi sandra sandy sasha
alfred alf alfie fred
allison allie ali
amanda mandy manda
andrew andy drew
andreas andi andy
angela angie
anthony tony
antoine toine
arthur art artie
barbara barb barbie babs
benjamin ben benny benji
bernard bernie
beverly bev
catherine cathy kate katie cat kathy cate
charles charlie chuck chas
charlotte lottie charlie
christian chris
christina chris christy tina
christine chris christy tina
christopher chris kit topher
cynthia cindy
daniel dan danny
david dave davey
deborah debbie deb debby
donald don donny
dorothy dot dottie
douglas doug
edward ed eddie ted teddy ned
eleanor ellie nora
elizabeth liz lizzie beth betty eliza betsy libby
emily em emmy
eugene gene
florian flo
frances fran frankie
francis frank
frederic fred
frederick fred freddie
gabriel gabe
gerald gerry jerry
gregory greg
harold hal harry
henry hank harry
isabel isa bella izzy
isabella bella izzy
isabelle isa bella
jacob jake
james jim jimmy jamie
janet jan
jeffrey jeff
jennifer jen jenny
jessica jess jessie
johannes hannes jo
john jack johnny jon
jonathan jon jonny
joseph joe joey
josef sepp
joshua josh
katharina kathi kati katja
katherine kate katie kathy kat
kathleen kathy kath
kenneth ken kenny
kimberly kim
lawrence larry
leonard leo len lenny
margaret maggie meg peggy marge
matthew matt matty
maximilian max maxi
maxime max
melanie mel
melissa mel missy
michael mike mikey mick micha
nathaniel nate nat
nicholas nick nicky nico
nicolas nico nick
oliver ollie
olivia liv ollie
pamela pam
patricia pat patty trish tricia
patrick pat paddy
peter pete
philip phil
rebecca becky becca
richard rick ricky dick rich
robert bob bobby rob robbie bert
ronald ron ronnie
samantha sam sammy
samuel sam sammy
sebastian basti seb
sebastien seb
stefanie steffi steph
stephanie steph steffi
stephen steve stevie
steven steve
susan sue susie susi
susanne susi sanne
theodore theo ted teddy
thomas tom tommy
timothy tim timmy
tobias tobi
ursula uschi
valerie val
victoria vicky tori
william will bill billy willie liam
zachary zach zack
"""


def _build() -> tuple[dict[str, str], dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    canonical: dict[str, str] = {}
    groups: dict[str, set[str]] = {}
    forms: dict[str, set[str]] = {}
    for line in _TABLE.strip().splitlines():
        head, *shorts = line.split()
        canonical.setdefault(head, head)
        groups.setdefault(head, set()).add(head)
        forms.setdefault(head, {head}).update(shorts)
        for short in shorts:
            # An ambiguous short form (chris, pat, sam) folds to the first canonical listed,
            # and fits every name it is listed under.
            canonical.setdefault(short, head)
            groups.setdefault(short, set()).add(head)
    return (
        canonical,
        {name: frozenset(g) for name, g in groups.items()},
        {name: frozenset(f) for name, f in forms.items()},
    )


#: short form (or canonical name) -> canonical name
NICKNAMES: dict[str, str]
#: a name (short or canonical) -> every canonical name it may stand for
NAME_GROUPS: dict[str, frozenset[str]]
#: canonical name -> its written forms (itself and its short forms)
NAME_FORMS: dict[str, frozenset[str]]
NICKNAMES, NAME_GROUPS, NAME_FORMS = _build()

# Common given names (besides those above), to recognize a first name inside an email address.
_GIVEN = """
aaron adam adrian ahmed aidan aisha alain alan albert alejandro alessandro ali alice alicia
alison amber amelia amy ana andre andrea angel anja ann anna anne annette antonio april
arjun arthur ashley audrey aurelie austin ava barry beatrice benoit bernd betty beverly
birgit brandon brenda brian brigitte brittany bruce bryan camille carl carla carlos carmen
carol caroline carolyn cecile celine chantal chen cheryl chiara chloe christa christophe
claire clara claudia colin craig dale dana danielle dean denise dennis derek diana diane
didier diego dieter dirk dominique doris dylan edith elena elias elijah elise ella ellen
elodie emilia emilie emma eric erica erik erin ethan eva evelyn fabian fatima felix finn
fiona francesca francisco francoise frank gabriele gary george gilles giovanni giulia
giuseppe gloria grace guillaume gunter hannah hans harry heather heide heike heinz helen
helene helmut hiroshi hugo ian ines ingrid irene jack jacqueline jacques jade jan jane
janice jason javier jean jeanne jens jeremy jesse jill joan joanna joel jonas jordan jorg
jose joyce juan judith judy jules julia julian julie juliette julien jurgen justin karen
karin karl katja kayla keith kelly kerstin kevin kim klaus kyle laetitia lara laura lauren
laurent lea leah leon leonie lily linda lisa logan lorenzo louis louise luc luca lucas lucia
lucy luis lukas luke manfred manon manuel marc marcel marco marcus maria marie marilyn
marina mario mark markus martha martin martina mathieu mathilde matteo matthias megan
mia michel michelle miguel mila milan mohammed monica monika moritz nadia nadine nancy
natalie nathalie nathan neil nicole niklas noah noemie nora norbert olga olivier omar
oscar owen pascal paul paula paulina pedro petra philippe pierre priya rachel raj ralf
ralph randy raphael raymond regina renate rene robin roger roland rosa rose roy ruby ruth
ryan sabine sandrine sara sarah scott sean sharon shirley silke simon simone sofia sonia
sophia sophie stefan stephane sven sylvie tanja teresa terry theresa thierry tim tina
todd torsten tyler uwe valentin vanessa vera veronique vincent virginia walter wayne wei
werner yann yuki yvonne zoe alexandre alexis debra donna francois kai kathryn lena lori
madison martine mary mason russell wolfgang
"""

#: Given names (canonical and short forms, lowercase ASCII) that an email address may spell.
GIVEN_NAMES: frozenset[str] = frozenset(_GIVEN.split()) | frozenset(NICKNAMES)

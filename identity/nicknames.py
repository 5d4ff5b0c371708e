"""Nicknames and short forms of English given names, folded to one canonical name.

Used by :func:`identity.normalize.canonical_first_name` so that Bob, Bobby and Robert are one
name for matching. Each line: the canonical name, then its short forms.
"""

from __future__ import annotations

__all__ = ["NICKNAMES"]

_TABLE = """
abigail abby abbie gail
alexander alex alec sasha xander
alexandra alex lexi sandra sandy
alfred alf alfie fred
andrew andy drew
anthony tony
barbara barb barbie babs
benjamin ben benny benji
catherine cathy kate katie cat kathy
charles charlie chuck chas
christopher chris kit topher
christina chris christy tina
daniel dan danny
david dave davey
deborah debbie deb debby
donald don donny
dorothy dot dottie
douglas doug
edward ed eddie ted teddy ned
elizabeth liz lizzie beth betty eliza betsy libby
emily em emmy
frances fran frankie
francis frank
frederick fred freddie
gregory greg
harold hal harry
henry hank harry
isabella bella izzy
jacob jake
james jim jimmy jamie
janet jan
jennifer jen jenny
jessica jess jessie
john jack johnny jon
jonathan jon jonny
joseph joe joey
joshua josh
katherine kate katie kathy kat
kenneth ken kenny
kimberly kim
lawrence larry
leonard leo len lenny
margaret maggie meg peggy marge
matthew matt matty
michael mike mikey mick
nathaniel nate nat
nicholas nick nicky
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
stephen steve stevie
steven steve
susan sue susie
theodore theo ted teddy
thomas tom tommy
timothy tim timmy
victoria vicky tori
william will bill billy willie liam
zachary zach zack
"""


def _build() -> dict[str, str]:
    table: dict[str, str] = {}
    for line in _TABLE.strip().splitlines():
        canonical, *shorts = line.split()
        table.setdefault(canonical, canonical)
        for short in shorts:
            # An ambiguous short form (chris, pat, sam) keeps the first canonical listed.
            table.setdefault(short, canonical)
    return table


#: short form (or canonical name) -> canonical name
NICKNAMES: dict[str, str] = _build()

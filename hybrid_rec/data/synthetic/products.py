"""A seeded shop catalog (`make_products`): descriptive product titles, a category list field and users
who prefer a few categories, for measuring requests on a catalog that is not films.

Each category has its own vocabulary (`PRODUCT_CATEGORIES`): an item's title is one or two of its
category's qualifiers and one of its nouns ("Waterproof Trail Headlamp"), so the title alone tells
the category (every noun belongs to one category); its optional description says what the item is
for in the category's words. Users belong to clusters, each preferring a few categories; inside a
category, items follow Zipf popularity; a user never buys the same item twice. The catalog names
no film and has no year, so nothing film-specific can read it. ``kind="music"`` makes a record shop's
catalog the same way (`MUSIC_CATEGORIES`: music genres, album titles such as "Smoky Bebop Piano Trio",
items called "albums"): a second catalog of another kind for the same measurements; ``kind="books"`` a
bookshop's (`BOOK_CATEGORIES`: subjects, book titles such as "Midnight Alibi", each book with an author).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.datasets import Dataset
from hybrid_rec.data.synthetic.stream import EventsConfig, event_stream, timed_sequences, zipf_cdf
from hybrid_rec.errors import ConfigError


@dataclass(frozen=True)
class CategoryWords:
    """One category's vocabulary: title qualifiers, title nouns (unique to the category) and what
    its items are for (descriptions)."""

    qualifiers: tuple[str, ...]
    nouns: tuple[str, ...]
    uses: tuple[str, ...]


# Each category: its name, then indented lines of title qualifiers, title nouns (no noun in two
# categories) and what its items are for, each list separated by "; ".
_VOCABULARY = """
Camping
    Waterproof; Ultralight; Insulated; Folding; Rugged; All-Season; Trail; Backcountry
    Headlamp; Tent; Sleeping Bag; Camp Stove; Lantern; Hammock; Water Filter; Sleeping Pad; Trekking Poles; Dry Bag
    trips into the backcountry; nights at the campsite; hikes in any weather; packing light on long treks
Kitchen
    Stainless Steel; Nonstick; Cast Iron; Bamboo; Ceramic; Professional; Heavy-Duty; Silicone
    Chef Knife; Frying Pan; Cutting Board; Saucepan; Mixing Bowl; Spatula; Baking Sheet; Dutch Oven; Whisk; Colander
    everyday cooking; preparing family meals; searing, simmering and roasting; roasting and baking
Audio
    Wireless; Noise-Cancelling; Bluetooth; Studio; Portable; Hi-Fi; Over-Ear; Compact
    Headphones; Earbuds; Speaker; Soundbar; Turntable; Microphone; Amplifier; Subwoofer; Radio; Receiver
    rich, clear sound; listening at home or on the go; gaming and TV with deep bass; recording and streaming
Toys
    Wooden; Plush; Remote-Control; Magnetic; Musical; Stacking; Glow-in-the-Dark; Colorful
    Building Blocks; Teddy Bear; Race Car; Jigsaw Puzzle; Dollhouse; Train Set; Action Figure; Kite; Board Game; Robot Kit
    hours of imaginative play; kids aged 3 and up; playtime with friends and family; learning through play
Skin Care
    Hydrating; Soothing; Fragrance-Free; Gentle; Vitamin C; Overnight; Oil-Free; Brightening
    Face Cream; Serum; Cleanser; Moisturizer; Sunscreen; Face Mask; Toner; Eye Cream; Lip Balm; Body Lotion
    dry or sensitive skin; a daily skincare routine; soft, healthy-looking skin; protection from sun and wind
Pet Supplies
    Orthopedic; Chew-Proof; Self-Cleaning; Reflective; Calming; Washable; Stainless; Adjustable
    Dog Bed; Cat Tree; Leash; Pet Bowl; Litter Box; Chew Toy; Scratching Post; Pet Carrier; Dog Collar; Grooming Brush
    dogs of every size; cats that love to climb; walks and trips to the vet; happy, healthy pets
Gardening
    Ergonomic; Rust-Proof; Telescopic; Self-Watering; Raised; Weatherproof; Organic; Expandable
    Pruning Shears; Garden Hose; Trowel; Watering Can; Planter; Seed Kit; Wheelbarrow; Garden Gloves; Compost Bin; Rake
    beds, borders and balconies; growing vegetables and herbs; keeping plants healthy all season; weekend work in the yard
Office
    Ergonomic; Adjustable; Wireless; Leather; Minimalist; Refillable; Executive; Slim
    Desk Chair; Desk Lamp; Notebook; Mouse; Keyboard; Monitor Stand; Stapler; File Organizer; Fountain Pen; Whiteboard
    long hours at the desk; a tidy workspace; meetings, notes and planning; paperwork and filing
Fitness
    Adjustable; Non-Slip; Heavy-Duty; Foldable; Weighted; Quick-Dry; Pro; Compact
    Dumbbells; Yoga Mat; Kettlebell; Jump Rope; Resistance Bands; Foam Roller; Exercise Bike; Pull-Up Bar; Gym Bag; Ab Wheel
    strength training; cardio and endurance sessions; yoga, stretching and recovery; building muscle at the gym
Baby
    Organic Cotton; Hypoallergenic; Soft; Convertible; BPA-Free; Lightweight; Cozy; Washable
    Baby Bottle; Crib Mobile; Stroller; Baby Carrier; Diaper Bag; Pacifier; Baby Monitor; High Chair; Swaddle Blanket; Teething Rattle
    newborns and infants; parents on the go; soothing little ones to sleep; the first year of life
"""


def _read_vocabulary(text: str) -> dict[str, CategoryWords]:
    """`_VOCABULARY` as {category: CategoryWords}."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for line in text.strip().splitlines():
        if line.startswith(" "):
            out[next(reversed(out))].append(tuple(line.strip().split("; ")))
        else:
            out[line.strip()] = []
    return {name: CategoryWords(*lists) for name, lists in out.items()}


PRODUCT_CATEGORIES: dict[str, CategoryWords] = _read_vocabulary(_VOCABULARY)

# A record shop's catalog in the same format: music genres, album titles, what each album is for.
_MUSIC_VOCABULARY = """
Jazz
    Smoky; Late-Night; Bebop; Cool; Modal; Swinging; Big Band; Smooth
    Saxophone Sessions; Piano Trio; Standards; Quartet; Trumpet Ballads; Jam Session; Club Recordings; Brass Suite; Scat Vocals; Double Bass Grooves
    quiet evenings with a glass of wine; improvised solos and swing; smoky late-night clubs; classic standards reimagined
Rock
    Loud; Garage; Arena; Indie; Psychedelic; Classic; Grunge; Electric
    Guitar Anthems; Power Chords; Drum Solos; Riffs; Stadium Hits; Amplified Ballads; Road Songs; Rebel Yells; Distortion Sessions; Encore Tapes
    turning the volume up; road trips with the windows down; singing along at full volume; guitar solos that never end
Classical
    Baroque; Romantic; Orchestral; Chamber; Symphonic; Solo; Operatic; Renaissance
    Violin Concertos; Symphonies; String Quartets; Piano Sonatas; Cello Suites; Overtures; Requiem; Nocturnes; Preludes; Fugues
    the concert hall at home; studying and focus; the great composers of the past; orchestras and soloists
Hip-Hop
    Underground; Old-School; Boom-Bap; West Coast; Freestyle; Lyrical; Trap; Street
    Rap Verses; Beat Tape; Mixtape; Rhymes; Cyphers; Breakbeats; Turntable Scratches; Block Party; Flow; Bars
    clever rhymes and heavy beats; nodding along to the beat; stories from the street; freestyle battles
Country
    Honky-Tonk; Bluegrass; Nashville; Outlaw; Heartland; Acoustic; Backroad; Western
    Banjo Picking; Fiddle Tunes; Cowboy Songs; Pickup Truck Ballads; Barn Dance; Steel Guitar Laments; Rodeo Songs; Front Porch Tunes; Campfire Twang; Whiskey Waltzes
    dusty roads and small towns; heartbreak and pickup trucks; dancing in the barn; front porch evenings
Electronic
    Ambient; Deep House; Techno; Synthwave; Trance; Downtempo; Minimal; Club
    Synthesizer Loops; Dance Floor Mixes; Drum Machine Grooves; Remixes; Bass Drops; Laser Sessions; Rave Tracks; Modular Patches; Afterhours Set; Arpeggios
    dancing all night; warehouse raves; focus with a steady beat; glowing synthesizers and bass
Folk
    Traditional; Fireside; Celtic; Rootsy; Pastoral; Wandering; Hand-Played; Village
    Broadside Songs; Fingerpicked Songs; Sea Shanties; Murder Ballads; Harmonica Tunes; Protest Songs; Lullabies; Dulcimer Airs; Storytelling Songs; Hearth Songs
    stories passed down for generations; quiet acoustic evenings; songs of the countryside; voices and a single guitar
Metal
    Heavy; Thrash; Doom; Black; Speed; Death; Sludge; Brutal
    Riff Assault; Blast Beats; Headbanger Anthems; Screams; Double Kick Drums; Mosh Pit Hymns; Shred Solos; Dark Chants; Iron Hammers; Inferno Live
    headbanging in the mosh pit; the loudest, fastest riffs; dark and heavy sounds; screaming vocals and double kicks
Pop
    Catchy; Chart-Topping; Upbeat; Dance-Pop; Teen; Summer; Bubblegum; Radio-Friendly
    Hit Parade; Singles; Love Songs; Chart Toppers; Choruses; Karaoke Favourites; Boy Band Songs; Dance Tracks; Sing-Alongs; Music Videos
    singing in the shower; catchy choruses stuck in your head; the top of the charts; summer parties
Blues
    Delta; Chicago; Soulful; Mournful; Juke Joint; Mississippi; Gritty; Midnight
    Slide Guitar Laments; Harmonica Wails; Twelve-Bar Shuffles; Crossroads Songs; Juke Joint Stomps; Field Hollers; Train Whistle Blues; Bottleneck Sessions; Heartache Hymns; Mojo Songs
    hard times and heartache; late nights in a juke joint; a guitar that cries; the Mississippi delta
"""
MUSIC_CATEGORIES: dict[str, CategoryWords] = _read_vocabulary(_MUSIC_VOCABULARY)
# A bookshop's catalog in the same format: subjects, book titles, who each book is for; each book also has
# an author (`BOOK_AUTHORS`: three per subject), a second field a request may name.
_BOOK_VOCABULARY = """
Mystery & Thriller
    Silent; Midnight; Deadly; Hidden; Cold; Vanishing; Poisoned; Locked-Room
    Witness; Alibi; Detective; Case Files; Murder; Suspect; Conspiracy; Cipher; Inheritance; Disappearance
    readers who love a twisting plot; solving the crime before the detective does; sleepless nights of suspense; clues, red herrings and a final reveal
Romance
    Summer; Forbidden; Secret; Second-Chance; Royal; Sweet; Starlit; Seaside
    Love Letters; Kiss; Wedding; Heartbreak; Courtship; Engagement; Affair; Sweetheart; Honeymoon; Proposal
    falling in love all over again; a happy ending guaranteed; slow-burn passion and longing; cosy evenings and a full heart
History
    Ancient; Medieval; Imperial; Forgotten; Victorian; Revolutionary; Wartime; Lost
    Empires; Dynasties; Battles; Chronicles; Kingdoms; Crusades; Revolutions; Pharaohs; Civilizations; Archives
    understanding how the past shaped today; the rise and fall of nations; wars, kings and revolutions; curious minds and history buffs
Science Fiction
    Galactic; Quantum; Interstellar; Cybernetic; Martian; Dystopian; Orbital; Robotic
    Starship; Colony; Android; Time Machine; Space Station; Warp Drive; Alien Contact; Cyborg; Mothership; Terraforming
    journeys to distant stars; imagining the future of technology; robots, aliens and space travel; what-ifs about tomorrow's world
Fantasy
    Fabled; Enchanted; Elven; Cursed; Mythic; Arcane; Shadow; Wandering
    Sword; Quest; Wizard; Spellbook; Dragon; Throne; Prophecy; Amulet; Realm; Sorceress
    magic, dragons and epic quests; escaping to another world; sword and sorcery adventures; heroes, wizards and ancient prophecies
Cookbooks
    Easy; Weeknight; Vegetarian; Rustic; Italian; One-Pot; Seasonal; Homestyle
    Recipes; Baking; Soups; Suppers; Pasta; Desserts; Grilling; Breads; Salads; Feasts
    cooking for family and friends; weeknight dinners in thirty minutes; bakers and home cooks; learning to cook from scratch
Biography
    Untold; Remarkable; Unfinished; Extraordinary; Private; Honest; Unlikely; Fearless
    Life; Memoir; Portrait; Journey; Autobiography; Diaries; Legacy; Confessions; Early Years; Last Interview
    the real lives of famous people; inspiring true stories; leaders, artists and pioneers; readers who love a true story
Self-Help
    Mindful; Confident; Productive; Calm; Resilient; Practical; Positive; Simple
    Habits; Mindset; Happiness; Focus; Leadership; Motivation; Wellbeing; Success; Confidence; Morning Routine
    building better habits; less stress and more balance; reaching your goals; personal growth and self-improvement
Children's Books
    Sleepy; Little; Giggling; Brave; Curious; Colourful; Cuddly; Magical
    Bedtime Stories; Picture Book; ABC Book; Bunny; Puppy Tales; Nursery Rhymes; Counting Book; Fairy Tales; Pop-Up Book; Alphabet Adventures
    reading aloud at bedtime; little readers aged 2 to 6; first words and bright pictures; story time with the kids
Poetry
    Collected; Selected; Lyric; Quiet; Autumn; Moonlit; Wild; Tender
    Poems; Sonnets; Verses; Haiku; Odes; Elegies; Stanzas; Epigrams; Psalms; Cantos
    slow reading and reflection; words that sing; love, loss and nature in verse; reading aloud by candlelight
"""
BOOK_CATEGORIES: dict[str, CategoryWords] = _read_vocabulary(_BOOK_VOCABULARY)
# Three invented authors per subject, in the order of `BOOK_CATEGORIES`; a book's author is one of its subject's.
BOOK_AUTHORS: dict[str, tuple[str, ...]] = dict(zip(BOOK_CATEGORIES, (
    ("Harriet Vane", "Silas Moreland", "Edda Kross"), ("Juliet Ashby", "Rosa Bellamy", "Colin Sweeting"),
    ("Tobias Grant", "Miriam Oakes", "Leopold Stern"), ("Vera Castellan", "Orson Pike", "Ada Rennick"),
    ("Rowan Ashgrove", "Isolde Fenn", "Caspian Wilde"), ("Nadia Basil", "Pierre Laurent", "Greta Honeywell"),
    ("Samuel Whitlock", "Lydia Marsh", "Arthur Penrose"), ("Maya Sunderland", "Dale Brightwater", "Ingrid Solace"),
    ("Poppy Button", "Benji Larkspur", "Tilly Hopscotch"), ("Evelyn Thorne", "Rafael Quill", "Selma Aurora"),
), strict=True))
# Per kind of catalog: its categories' vocabulary and what it calls an item.
VOCABULARIES: dict[str, tuple[dict[str, CategoryWords], str]] = {
    "shop": (PRODUCT_CATEGORIES, "product"),
    "music": (MUSIC_CATEGORIES, "album"),
    "books": (BOOK_CATEGORIES, "book"),
}


class ProductConfig(EventsConfig):
    """Size and structure of a synthetic shop catalog and its purchases (an event is a purchase)."""

    kind: Literal["shop", "music", "books"] = Field(
        "shop",
        description="Which catalog: 'shop' (PRODUCT_CATEGORIES: camping, kitchen, audio, ...; items are "
        "'products'), 'music' (MUSIC_CATEGORIES: jazz, rock, classical, ...; items are 'albums') or 'books' "
        "(BOOK_CATEGORIES: mystery & thriller, romance, history, ...; items are 'books', each with an 'author').",
    )
    n_items: int = Field(600, gt=0, description="Number of products, spread evenly over the categories.")
    n_categories: int = Field(
        10, gt=0, le=len(PRODUCT_CATEGORIES), description="Categories used: the first n of the kind's vocabulary."
    )
    n_clusters: int = Field(20, gt=0, description="User clusters; each prefers its own few categories.")
    categories_per_cluster: int = Field(2, gt=0, description="Categories a cluster prefers (at most n_categories).")
    p_preferred: float = Field(
        0.85, ge=0, le=1, description="Probability that a purchase is in one of the cluster's categories, not any."
    )
    zipf_exponent: float = Field(1.0, ge=0, description="Skew of popularity inside a category (Zipf; 0 = uniform).")
    field: str = Field(
        "category",
        min_length=1,
        description="Name of the list field holding each item's category (e.g. 'genres', the field the library's "
        "film defaults read).",
    )
    descriptions: bool = Field(True, description="Give each item a one-sentence 'description' field.")


@dataclass(frozen=True, eq=False)
class ProductTruth:
    """The planted structure, in internal ids: each item's category (index into `categories`), each
    user's cluster and each cluster's preferred categories."""

    categories: tuple[str, ...]
    item_category: np.ndarray
    user_cluster: np.ndarray
    cluster_categories: np.ndarray  # [n_clusters, categories_per_cluster]


@dataclass(frozen=True, eq=False)
class ProductDataset(Dataset):
    truth: ProductTruth | None = None


def make_products(config: ProductConfig | None = None, **overrides: object) -> ProductDataset:
    """Generate a shop dataset; keyword overrides replace fields of `config` (same seed, same data)."""
    cfg = ProductConfig.from_dict({**(config or ProductConfig()).model_dump(), **overrides}, source="make_products")
    _check(cfg)
    rng = np.random.default_rng(cfg.seed)
    vocabulary, noun = VOCABULARIES[cfg.kind]
    names = tuple(list(vocabulary)[: cfg.n_categories])
    n_u, n_i, n_c = cfg.n_users, cfg.n_items, len(names)

    perm = rng.permutation(n_i)  # round-robin categories; position in a category = popularity rank
    item_category = np.empty(n_i, np.int64)
    item_category[perm] = np.arange(n_i) % n_c
    members = [perm[c::n_c] for c in range(n_c)]
    cdfs = [zipf_cdf(len(m), cfg.zipf_exponent) for m in members]
    cluster_categories = np.stack(
        [rng.choice(n_c, cfg.categories_per_cluster, replace=False) for _ in range(cfg.n_clusters)]
    )
    user_cluster = rng.integers(0, cfg.n_clusters, size=n_u)
    lengths = cfg.lengths(rng)

    draws = 3 * lengths + 10  # per user: enough to leave `length` distinct items after repeats
    owner = np.repeat(user_cluster, draws)
    total = int(draws.sum())
    preferred = rng.random(total) < cfg.p_preferred
    pick = cluster_categories[owner, rng.integers(0, cfg.categories_per_cluster, total)]
    category = np.where(preferred, pick, rng.integers(0, n_c, total))
    rank = rng.random(total)
    bought = np.empty(total, np.int64)
    for c in range(n_c):
        rows = category == c
        bought[rows] = members[c][np.minimum(np.searchsorted(cdfs[c], rank[rows]), len(members[c]) - 1)]
    sequences = []
    for u, drawn in enumerate(np.split(bought, np.cumsum(draws)[:-1])):
        _, first = np.unique(drawn, return_index=True)  # a user buys an item once: keep first purchases
        sequences.append(drawn[np.sort(first)][: lengths[u]])
    inter = event_stream(*timed_sequences(rng, sequences), n_u, n_i, "products")
    catalog = ItemCatalog(_texts(rng, cfg, names, item_category, inter.items.ids), noun=noun)
    truth = ProductTruth(names, item_category, user_cluster, cluster_categories)
    return ProductDataset("products", inter, catalog, truth)


def _check(cfg: ProductConfig) -> None:
    if cfg.categories_per_cluster > cfg.n_categories:
        raise ConfigError(
            f"categories_per_cluster ({cfg.categories_per_cluster}) must be <= n_categories ({cfg.n_categories})"
        )
    if cfg.n_items < cfg.n_categories:
        raise ConfigError(f"n_items ({cfg.n_items}) must be >= n_categories ({cfg.n_categories})")
    if cfg.field in ("title", "description"):
        raise ConfigError(f"field {cfg.field!r} would overwrite the item's {cfg.field}; pick another name")
    per_category = -(-cfg.n_items // cfg.n_categories)
    vocabulary = VOCABULARIES[cfg.kind][0]
    for name in list(vocabulary)[: cfg.n_categories]:
        if per_category > len(_title_parts(vocabulary[name])):
            raise ConfigError(
                f"n_items ({cfg.n_items}) gives {per_category} items per category, more than the "
                f"{len(_title_parts(vocabulary[name]))} distinct titles of {name!r}; lower n_items"
            )


def _title_parts(words: CategoryWords) -> list[tuple[str, ...]]:
    """Every distinct title of a category: one or two different qualifiers, then a noun."""
    singles = [(q,) for q in words.qualifiers]
    pairs = list(itertools.permutations(words.qualifiers, 2))
    return [(*q, n) for q in singles + pairs for n in words.nouns]


def _texts(
    rng: np.random.Generator, cfg: ProductConfig, names: tuple[str, ...], item_category: np.ndarray, ids: np.ndarray
) -> pd.DataFrame:
    """Title, category (a one-value tuple) and, when asked, a description per item."""
    titles = np.empty(len(ids), object)
    descriptions = np.empty(len(ids), object)
    for c, name in enumerate(names):
        words = VOCABULARIES[cfg.kind][0][name]
        parts = _title_parts(words)
        items = np.flatnonzero(item_category == c)
        chosen = rng.choice(len(parts), len(items), replace=False)
        uses = rng.integers(0, len(words.uses), len(items))
        for item, p, use in zip(items, chosen, uses, strict=True):
            titles[item] = " ".join(parts[p])
            descriptions[item] = f"{titles[item]} for {words.uses[use]}."
    frame = pd.DataFrame(
        {"title": titles.astype(str), cfg.field: [(names[c],) for c in item_category]},
        index=pd.Index(ids, name="item_id"),
    )
    if cfg.descriptions:
        frame["description"] = descriptions.astype(str)
    if cfg.kind == "books":  # a second field a request may name: each book by one of its subject's authors
        authors = np.empty(len(ids), object)
        for c, name in enumerate(names):
            items = np.flatnonzero(item_category == c)
            authors[items] = np.asarray(BOOK_AUTHORS[name], object)[rng.integers(0, 3, len(items))]
        frame["author"] = authors.astype(str)
    return frame

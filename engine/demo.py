"""Deterministic demo marketplace: offers, order lines, feedback events and seller actions.

``generate(scale, seed, end)`` returns the four canonical tables of docs/importing.md (plus
``actions``) as polars frames whose columns, order and dtypes are exactly those of
``engine/sql/schema.sql``:

- VARCHAR -> ``pl.String``, DATE -> ``pl.Date``, TIMESTAMP -> ``pl.Datetime("us")`` (naive,
  UTC), DECIMAL -> ``pl.Float64`` rounded to cents, INTEGER -> ``pl.Int32``,
  TINYINT -> ``pl.Int8``, BOOLEAN -> ``pl.Boolean``.
- Keys are unique: offers ``(seller_id, sku)``, orders ``(order_id, seller_id, sku)``,
  feedback ``feedback_id``.
- The same ``(scale, seed, end)`` gives identical frames; nothing depends on today's date.
- Data covers the 15 calendar months ending on ``end``; no order or event is dated after
  ``end`` and no event is dated on or before its order's purchase day.

What is in it (at ``scale=1``; offer and order counts grow linearly with ``scale``):

- 60 sellers (``SELLER_NAMES``), one of them the featured demo seller ``DEMO_SELLER_ID``
  whose 150 offers (SKUs, titles, volumes, lifecycle) come from their own random stream,
  so they are the same at every scale for a given seed; their problem rates are planted
  against the realised peer rates, so each health level occurs (see ``_calibrate_demo``);
- ~5,000 offers in 12 categories and 57 subcategories, ~720,000 order lines with weekly
  seasonality (weekend peak), a holiday peak (Black Friday to Christmas), Prime Day and
  35 %/year growth;
- feedback from all five sources with Amazon reason codes and customers' comments,
  including delivery and remorse events, 2-5 star reviews and seller feedback that do not
  count toward the NCX rate;
- every event can be written as the Seller Central report that carries it
  (``engine/demo_reports.py``) without changing whether it counts: refunds (the settlement
  report) have no reason code and no comment and are all product/listing problems (a
  delivery or remorse refund would read as "unknown" and count); contacts (FBA
  replacements) exist on FBA offers only, decided by a replacement code where they are not
  counted; merchant-fulfilled returns carry no comment, their reason code decides; event
  times are whole seconds, as the reports write them;
- every offer has an underlying problem rate (typical 1-4 % per subcategory, a tail of bad
  offers at 3-10x and some very good ones at 0.2x);
- lifecycle: new offers, offers without recent sales, deleted listings, closures for NCX
  (some reinstated), closures for other reasons, and dated fixes recorded in ``actions``.

Generation is vectorised with numpy (``np.random.default_rng``) in chunks of ~4,000
offers, each turned into polars frames at once; only per-offer work (titles, SKUs,
lifecycle picks) runs in Python loops. Scale 1 takes ~1.5 s, scale 20 (~11 M order
lines) ~20-30 s and ~1.6 GB peak. ``stream`` yields the chunks one at a time instead
(``generate`` concatenates them), for scales whose data does not fit in memory: scale 102
(~500,000 offers, ~56 M order lines, ~6.5 M events) generates in ~1 minute holding ~0.8 GB
(``engine/demo_store.py`` builds a store from it).
"""

from __future__ import annotations

import calendar
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import polars as pl

DEMO_SELLER_ID: str = "S-DEMO"
DEMO_END: date = date(2026, 10, 31)
_SPAN_MONTHS: int = 15

# ---------------------------------------------------------------------------------------
# Sellers
# ---------------------------------------------------------------------------------------
_NAME_PREFIXES: tuple[str, ...] = (
    "Northwind", "Bluecrest", "Maple & Moss", "Cedar Lane", "Harborview", "Summit Peak",
    "Kestrel", "Brightwater", "Oakridge", "Silverline", "Juniper", "Redwood", "Copperleaf",
    "Fernhill", "Granite", "Lakeside", "Meadowlark", "Pinecone", "Riverstone", "Starling",
    "Thistle", "Willowby", "Amberly", "Birchwood", "Cobalt", "Driftwood", "Evergreen",
    "Foxglove", "Goldfinch", "Hollow Oak", "Ironbark", "Jasper", "Kingfisher", "Lumen",
    "Marigold", "Nimbus", "Orchard", "Pebble", "Quill", "Rosewood", "Saffron", "Tidewater",
    "Upland", "Velvet", "Wren", "Yarrow", "Zephyr", "Alder",
)  # fmt: skip
_NAME_SUFFIXES: tuple[str, ...] = (
    "Goods", "Supply Co.", "Trading", "Outfitters", "Essentials", "Market", "Direct",
    "Store", "Living", "Collective", "Depot", "Emporium", "Works", "& Co.", "Brands",
    "Retail", "Shop", "Gear", "Lab", "House", "Mercantile", "Provisions", "Wholesale",
    "Online", "Home",
)  # fmt: skip


def _seller_names() -> tuple[dict[str, str], dict[str, str]]:
    """Shop names and own brands: the demo seller, then S-0001, S-0002, ..."""
    names = {DEMO_SELLER_ID: "Northwind Home"}
    brands = {DEMO_SELLER_ID: "Northwind"}
    prefixes = _NAME_PREFIXES[1:]  # "Northwind" belongs to the demo seller
    n_suffix = len(_NAME_SUFFIXES)
    for i in range(len(prefixes) * n_suffix):
        q, r = divmod(i, len(prefixes))
        # For a fixed prefix r, (q + 7r) mod 25 runs through every suffix once: names unique.
        sid = f"S-{i + 1:04d}"
        names[sid] = f"{prefixes[r]} {_NAME_SUFFIXES[(q + 7 * r) % n_suffix]}"
        brands[sid] = prefixes[r]
    return names, brands


SELLER_NAMES: dict[str, str]
_SELLER_BRANDS: dict[str, str]
SELLER_NAMES, _SELLER_BRANDS = _seller_names()
"""Shop name of every seller id the generator can produce (demo seller first).

At ``scale`` s the data holds ``DEMO_SELLER_ID`` and ``S-0001`` ... ``S-{m:04d}`` with
``m = clamp(round(59 * s), 59, len(SELLER_NAMES) - 1)``."""


# ---------------------------------------------------------------------------------------
# Catalogue
# ---------------------------------------------------------------------------------------
_PROBLEM_THEMES: tuple[str, ...] = (
    "defective",
    "damaged",
    "quality",
    "missing_parts",
    "wrong_item",
    "not_as_described",
    "size_fit",
    "compatibility",
    "expired_or_used",
)
_T = {name: i for i, name in enumerate(_PROBLEM_THEMES)}


@dataclass(frozen=True)
class _Sub:
    """One subcategory: how its products are named, priced, sold and go wrong."""

    category: str
    name: str
    code: str  # SKU fragment
    item: str  # what customers call it in comments
    device: str  # what it must be compatible with ("" = not applicable)
    median_price: float
    price_sigma: float
    typical_rate: float  # problem rate of a typical offer
    fba_share: float
    popularity: float
    powered: bool
    products: tuple[str, ...]  # "Product name|variant|variant..."
    packs: tuple[str, ...] = ("",)
    themes: dict[str, float] = field(default_factory=dict)  # overrides category weights


@dataclass(frozen=True)
class _Category:
    themes: dict[str, float]
    remorse_rate: float
    brands: tuple[str, ...]


_CATEGORIES: dict[str, _Category] = {
    "Home & Kitchen": _Category(
        {"defective": .15, "damaged": .17, "quality": .3, "missing_parts": .08,
         "wrong_item": .07, "not_as_described": .2, "size_fit": .03},
        .03, ("Hearthstone", "Casa Bella", "Loomwell", "Kitchara", "DreamNest", "Panterra"),
    ),
    "Electronics": _Category(
        {"defective": .38, "damaged": .06, "quality": .1, "missing_parts": .07,
         "wrong_item": .07, "not_as_described": .12, "compatibility": .2},
        .04, ("Voltix", "Ampora", "Sonique", "Nexlink", "Zentro", "Kyvo"),
    ),
    "Beauty & Personal Care": _Category(
        {"defective": .1, "damaged": .12, "quality": .16, "missing_parts": .03,
         "wrong_item": .1, "not_as_described": .15, "expired_or_used": .34},
        .025, ("Lumora", "Velisse", "PureGlow", "Botanika", "Silkara", "Aurelle"),
    ),
    "Toys & Games": _Category(
        {"defective": .18, "damaged": .15, "quality": .2, "missing_parts": .27,
         "wrong_item": .05, "not_as_described": .15},
        .03, ("Playtopia", "BrickNest", "Wonderkin", "Tumbletoy", "Gigglewood"),
    ),
    "Sports & Outdoors": _Category(
        {"defective": .16, "damaged": .12, "quality": .3, "missing_parts": .1,
         "wrong_item": .07, "not_as_described": .15, "size_fit": .1},
        .03, ("TrailForge", "Peakline", "Aquaflow", "IronCore", "Stridely"),
    ),
    "Pet Supplies": _Category(
        {"defective": .1, "damaged": .12, "quality": .35, "missing_parts": .05,
         "wrong_item": .08, "not_as_described": .15, "size_fit": .1, "expired_or_used": .05},
        .025, ("Pawsome", "Whiskerly", "FurHaven", "Barkbright", "Fintastic"),
    ),
    "Clothing, Shoes & Jewelry": _Category(
        {"defective": .03, "damaged": .05, "quality": .22, "wrong_item": .1,
         "not_as_described": .15, "size_fit": .45},
        .07, ("Threadline", "Urbanloom", "Strideon", "Lunette", "Kindred Knit"),
    ),
    "Tools & Home Improvement": _Category(
        {"defective": .3, "damaged": .12, "quality": .15, "missing_parts": .15,
         "wrong_item": .06, "not_as_described": .1, "compatibility": .12},
        .025, ("Torqmax", "Brightbulb", "Hardline", "Flowright", "Ironhand"),
    ),
    "Grocery & Gourmet Food": _Category(
        {"damaged": .25, "quality": .15, "wrong_item": .1, "not_as_described": .1,
         "expired_or_used": .4},
        .012, ("Harvest Lane", "Roastery Row", "Spice Atlas", "Leaf & Kettle", "Nutwise"),
    ),
    "Office Products": _Category(
        {"defective": .2, "damaged": .15, "quality": .25, "missing_parts": .12,
         "wrong_item": .1, "not_as_described": .15, "compatibility": .03},
        .025, ("Paperloft", "Inkwell", "Deskwise", "Scribe & Co", "Officio"),
    ),
    "Baby": _Category(
        {"defective": .2, "damaged": .1, "quality": .2, "missing_parts": .15,
         "wrong_item": .05, "not_as_described": .15, "size_fit": .1, "expired_or_used": .05},
        .025, ("Littlenest", "Babbles", "Cuddlebug", "Tiny Steps", "Snugglo"),
    ),
    "Automotive": _Category(
        {"defective": .15, "damaged": .08, "quality": .12, "missing_parts": .08,
         "wrong_item": .07, "not_as_described": .1, "compatibility": .4},
        .025, ("Roadmate", "Drivex", "Autozen", "Gearshift", "Motorly"),
    ),
}  # fmt: skip

_HK, _EL, _BE, _TG = "Home & Kitchen", "Electronics", "Beauty & Personal Care", "Toys & Games"
_SO, _PS, _CL, _TL = (
    "Sports & Outdoors",
    "Pet Supplies",
    "Clothing, Shoes & Jewelry",
    "Tools & Home Improvement",
)
_GR, _OF, _BA, _AU = "Grocery & Gourmet Food", "Office Products", "Baby", "Automotive"

_CATALOGUE: tuple[_Sub, ...] = (
    # Home & Kitchen
    _Sub(_HK, "Pillow inserts", "PIL", "pillow insert", "cover", 26, .45, .025, .75, 1.3, False,
         ("Microfiber Pillow Insert|18x18|20x20|16x16|22x22",
          "Down Alternative Pillow Insert|18x18|20x20|12x20 Lumbar",
          "Hypoallergenic Throw Pillow Insert|18x18|20x20|24x24",
          "Feather Pillow Insert|20x20|22x22|14x24 Lumbar"),
         ("", "Set of 2", "Set of 4")),
    _Sub(_HK, "Cookware", "CKW", "pan", "induction hob", 55, .6, .02, .6, 1.1, False,
         ("Nonstick Frying Pan|8 inch|10 inch|12 inch", "Cast Iron Skillet|10.25 inch|12 inch",
          "Stainless Steel Saucepan|2 Quart|3 Quart", "Ceramic Cookware Set|5-Piece|10-Piece"),
         ("", "", "with Lid")),
    _Sub(_HK, "Bedding", "BED", "sheet set", "mattress", 48, .5, .03, .65, 1.1, False,
         ("Microfiber Sheet Set|Queen|King|Twin|Full", "Cotton Percale Sheet Set|Queen|King",
          "Duvet Cover Set|Queen|King|Full", "Weighted Blanket|15 lbs 60x80|20 lbs 80x87"),
         ("", "Grey", "White", "Navy"), {"size_fit": .12}),
    _Sub(_HK, "Storage & organisation", "STO", "storage bin", "shelf", 22, .5, .018, .7, .9,
         False,
         ("Fabric Storage Bins|11 inch|13 inch", "Clear Stackable Storage Boxes|Small|Large",
          "Under Bed Storage Bag|Large|Extra Large", "Drawer Organizer|Bamboo|Clear Plastic"),
         ("", "Set of 3", "6-Pack")),
    _Sub(_HK, "Kitchen utensils", "UTN", "utensil set", "", 14, .5, .015, .75, 1.0, False,
         ("Silicone Spatula Set|5-Piece|8-Piece", "Wooden Cooking Utensils|6-Piece|9-Piece",
          "Stainless Steel Whisk|10 inch|12 inch", "Measuring Cups and Spoons|12-Piece|16-Piece")),
    _Sub(_HK, "Small appliances", "APP", "blender", "outlet", 85, .6, .035, .6, .9, True,
         ("Personal Blender|600W|900W", "Electric Kettle|1.7L|1.2L", "Air Fryer|5.8 Quart|4 Quart",
          "Coffee Grinder|Electric|Burr", "Hand Mixer|5-Speed|300W")),
    # Electronics
    _Sub(_EL, "Phone chargers", "CHG", "charger", "phone", 16, .45, .035, .8, 1.4, True,
         ("USB-C Fast Charger|20W|30W|65W", "Wireless Charging Pad|15W|10W",
          "PD Wall Charger|20W|35W", "Dual Port Charger|40W|65W"),
         ("", "2-Pack"), {"compatibility": .3}),
    _Sub(_EL, "Headphones", "HDP", "headset", "laptop", 45, .75, .04, .7, 1.1, True,
         ("Wireless Earbuds|Black|White", "Over-Ear Bluetooth Headphones|Black|Silver",
          "Noise Cancelling Headphones|Midnight Blue|Black", "Sports Earbuds|Black|Red")),
    _Sub(_EL, "Cables & adapters", "CBL", "cable", "laptop", 10, .5, .03, .8, 1.2, True,
         ("USB-C to USB-C Cable|3ft|6ft|10ft", "Lightning Cable|3ft|6ft",
          "HDMI 2.1 Cable|6ft|10ft", "USB-C Hub Adapter|7-in-1|4-in-1"),
         ("", "2-Pack", "3-Pack"), {"compatibility": .35}),
    _Sub(_EL, "Smart home", "SMH", "smart plug", "router", 35, .7, .03, .7, .8, True,
         ("Smart Plug|2.4GHz|Mini", "Video Doorbell|1080p|2K",
          "Indoor Security Camera|1080p|2K", "Smart LED Strip|16ft|32ft"),
         ("", "2-Pack", "4-Pack")),
    _Sub(_EL, "Computer accessories", "CMP", "keyboard", "laptop", 30, .6, .025, .7, 1.0,
         True,
         ("Wireless Keyboard and Mouse Combo|Black|White", "Laptop Stand|Silver|Space Grey",
          "Ergonomic Mouse|Vertical|Wireless", "USB Webcam|1080p|4K")),
    # Beauty & Personal Care
    _Sub(_BE, "Skin care", "SKN", "moisturiser", "", 22, .5, .02, .8, 1.1, False,
         ("Hyaluronic Acid Serum|1 fl oz|2 fl oz", "Daily Face Moisturizer|1.7 oz|2.5 oz",
          "Vitamin C Serum|1 fl oz", "Retinol Night Cream|1.7 oz"),
         ("", "2-Pack")),
    _Sub(_BE, "Hair care", "HRC", "shampoo", "", 16, .45, .018, .8, 1.0, False,
         ("Sulfate-Free Shampoo|16 fl oz|33.8 fl oz", "Argan Oil Conditioner|16 fl oz",
          "Hair Mask|8.5 fl oz", "Leave-In Conditioner|8 fl oz|12 fl oz"),
         ("", "2-Pack")),
    _Sub(_BE, "Makeup", "MKP", "palette", "", 13, .5, .022, .8, 1.0, False,
         ("Eyeshadow Palette|12 Colors|18 Colors", "Liquid Foundation|Shade 120|Shade 220",
          "Matte Lipstick Set|Nude|Berry", "Makeup Brush Set|14-Piece|10-Piece")),
    _Sub(_BE, "Hair tools", "HTL", "hair dryer", "outlet", 48, .6, .035, .7, .8, True,
         ("Ionic Hair Dryer|1875W|1600W", "Ceramic Flat Iron|1 inch|1.5 inch",
          "Curling Wand|1 inch|1.25 inch", "Hot Air Brush|One-Step|Volumizer"),
         ("",), {"defective": .4, "expired_or_used": .08}),
    _Sub(_BE, "Fragrance", "FRG", "perfume", "", 42, .5, .015, .75, .6, False,
         ("Eau de Parfum|1.7 fl oz|3.4 fl oz", "Body Mist|8 fl oz",
          "Eau de Toilette|1.7 fl oz|3.4 fl oz")),
    # Toys & Games
    _Sub(_TG, "Building sets", "BLD", "building set", "", 35, .7, .02, .75, 1.0, False,
         ("Building Bricks Set|500 Pieces|1000 Pieces", "Magnetic Tiles|60 Pieces|100 Pieces",
          "STEM Construction Kit|12-in-1|7-in-1")),
    _Sub(_TG, "Puzzles", "PUZ", "puzzle", "", 17, .4, .015, .75, .9, False,
         ("Jigsaw Puzzle|1000 Pieces|500 Pieces", "Wooden Puzzle|Set of 6",
          "3D Puzzle|Castle|Globe")),
    _Sub(_TG, "Plush toys", "PLU", "plush toy", "", 15, .45, .012, .8, .9, False,
         ("Plush Teddy Bear|12 inch|16 inch", "Stuffed Dinosaur|16 inch|24 inch",
          "Weighted Plush Animal|2 lbs|4 lbs")),
    _Sub(_TG, "Board games", "BRD", "board game", "", 28, .45, .018, .75, .8, False,
         ("Family Strategy Board Game|2-6 Players", "Party Card Game|Ages 14+",
          "Cooperative Board Game|Ages 8+")),
    _Sub(_TG, "Remote control toys", "RCT", "rc car", "controller", 55, .6, .04, .65, .7,
         True,
         ("Remote Control Car|1:16 Scale|1:24 Scale", "Mini Drone|with Camera|for Kids",
          "RC Stunt Truck|2.4GHz|4WD")),
    # Sports & Outdoors
    _Sub(_SO, "Yoga & fitness", "YOG", "yoga mat", "", 28, .55, .022, .75, 1.0, False,
         ("Non-Slip Yoga Mat|6mm|1/2 inch", "Resistance Bands Set|5-Piece|11-Piece",
          "Foam Roller|18 inch|36 inch", "Jump Rope|Adjustable|Weighted")),
    _Sub(_SO, "Camping gear", "CMG", "tent", "", 75, .75, .025, .6, .8, False,
         ("Camping Tent|4-Person|2-Person", "Sleeping Bag|3-Season|Cold Weather",
          "Camping Lantern|Rechargeable|LED", "Camping Hammock|Double|Single")),
    _Sub(_SO, "Water bottles", "BTL", "water bottle", "", 20, .4, .02, .8, 1.0, False,
         ("Insulated Water Bottle|32 oz|24 oz|40 oz", "Glass Water Bottle|18 oz|32 oz",
          "Collapsible Water Bottle|20 oz"),
         ("", "2-Pack")),
    _Sub(_SO, "Cycling accessories", "CYC", "bike light", "bike", 28, .6, .025, .7, .7, True,
         ("Rechargeable Bike Light Set|USB-C|800 Lumens", "Bike Phone Mount|Handlebar|Stem",
          "Cycling Gloves|Medium|Large", "Bike Lock|U-Lock|Cable Lock")),
    _Sub(_SO, "Dumbbells & weights", "WGT", "dumbbell set", "", 90, .7, .015, .45, .6, False,
         ("Adjustable Dumbbell Set|52.5 lb|25 lb", "Neoprene Dumbbells|5 lb|10 lb",
          "Kettlebell|20 lb|35 lb"),
         ("", "Pair")),
    # Pet Supplies
    _Sub(_PS, "Dog toys", "DGT", "chew toy", "", 12, .45, .025, .8, 1.1, False,
         ("Squeaky Plush Dog Toy|Small|Medium|Large", "Indestructible Chew Toy|Medium|Large",
          "Rope Toy Set|Medium|Large"),
         ("", "3-Pack", "12-Pack")),
    _Sub(_PS, "Pet beds", "PBD", "pet bed", "crate", 38, .55, .02, .65, .9, False,
         ("Orthopedic Dog Bed|Medium|Large|XL", "Calming Donut Bed|Small|Medium",
          "Cat Window Perch|Standard|Large"),
         ("",), {"size_fit": .18}),
    _Sub(_PS, "Cat supplies", "CAT", "litter box", "", 24, .55, .015, .7, .9, False,
         ("Clumping Cat Litter|20 lb|40 lb", "Self-Cleaning Litter Box|Standard|XL",
          "Cat Scratching Post|32 inch|24 inch", "Cat Water Fountain|2L|3L")),
    _Sub(_PS, "Aquarium supplies", "AQU", "aquarium filter", "tank", 30, .6, .03, .65, .6,
         True,
         ("Aquarium Filter|10 Gallon|20 Gallon|55 Gallon", "Aquarium Heater|100W|200W",
          "LED Aquarium Light|12 inch|24 inch"),
         ("",), {"compatibility": .12}),
    # Clothing, Shoes & Jewelry
    _Sub(_CL, "T-shirts", "TSH", "t-shirt", "", 18, .45, .04, .75, 1.3, False,
         ("Crew Neck T-Shirt|Medium|Large|Small|XL", "Performance Tee|Medium|Large",
          "Organic Cotton T-Shirt|Small|Medium|Large"),
         ("", "3-Pack", "5-Pack")),
    _Sub(_CL, "Running shoes", "SHO", "shoe", "", 75, .45, .045, .7, 1.0, False,
         ("Men's Running Shoes|Size 9|Size 10|Size 11", "Women's Road Running Shoes|Size 7|Size 8",
          "Trail Running Shoes|Size 9.5|Size 10.5"),
         ("",), {"size_fit": .55}),
    _Sub(_CL, "Socks", "SCK", "socks", "", 13, .4, .02, .8, 1.0, False,
         ("Athletic Crew Socks|Medium|Large", "Merino Wool Hiking Socks|Medium|Large",
          "No-Show Socks|Medium"),
         ("6 Pairs", "12 Pairs", "3 Pairs")),
    _Sub(_CL, "Jackets", "JKT", "jacket", "", 85, .55, .035, .6, .8, False,
         ("Packable Down Jacket|Medium|Large", "Waterproof Rain Jacket|Small|Medium|Large",
          "Fleece Jacket|Medium|XL")),
    _Sub(_CL, "Jewelry", "JWL", "necklace", "", 32, .8, .025, .7, .7, False,
         ("Sterling Silver Necklace|18 inch|16 inch", "Hoop Earrings|14K Gold Plated|Silver",
          "Stackable Rings Set|Size 7|Size 8"),
         ("",), {"size_fit": .2, "quality": .35}),
    # Tools & Home Improvement
    _Sub(_TL, "Power tools", "PWR", "drill", "battery", 110, .6, .03, .55, .8, True,
         ("Cordless Drill Driver|20V|12V", "Impact Driver Kit|20V|18V", "Orbital Sander|5 inch",
          "Circular Saw|7-1/4 inch"),
         ("", "with 2 Batteries")),
    _Sub(_TL, "Hand tools", "HND", "tool set", "", 22, .6, .015, .7, 1.0, False,
         ("Screwdriver Set|32-Piece|45-Piece", "Socket Wrench Set|108-Piece|40-Piece",
          "Tape Measure|25ft|16ft", "Utility Knife|Retractable|Folding")),
    _Sub(_TL, "Light bulbs", "LGT", "bulb", "fixture", 13, .5, .03, .75, 1.1, True,
         ("LED Light Bulbs|A19 60W Equivalent|A19 100W Equivalent",
          "Smart LED Bulbs|E26 Color Changing|E26 2700K", "Edison Filament Bulbs|ST64 Dimmable"),
         ("4-Pack", "6-Pack", "12-Pack")),
    _Sub(_TL, "Plumbing fixtures", "PLB", "faucet", "sink", 55, .6, .025, .55, .7, False,
         ("Kitchen Faucet with Pull Down Sprayer|Brushed Nickel|Matte Black",
          "Rain Shower Head|8 inch|10 inch", "Bathroom Sink Faucet|Chrome|Matte Black")),
    # Grocery & Gourmet Food
    _Sub(_GR, "Coffee", "COF", "bag of coffee", "", 16, .4, .012, .8, 1.1, False,
         ("Whole Bean Coffee|2 lb|12 oz", "Ground Coffee|12 oz|24 oz",
          "Single Serve Coffee Pods|72 Count|24 Count"),
         ("", "2-Pack")),
    _Sub(_GR, "Snacks", "SNK", "snack box", "", 11, .45, .01, .8, 1.0, False,
         ("Mixed Nuts|24 oz|16 oz", "Protein Bars|12 Count|24 Count", "Dried Mango Slices|16 oz"),
         ("", "Pack of 3")),
    _Sub(_GR, "Tea", "TEA", "tea box", "", 12, .4, .01, .8, .8, False,
         ("Green Tea Bags|100 Count|40 Count", "Loose Leaf Earl Grey|8 oz|4 oz",
          "Herbal Chamomile Tea|40 Count"),
         ("", "Pack of 6")),
    _Sub(_GR, "Spices", "SPC", "spice jar", "", 8, .4, .012, .8, .8, False,
         ("Smoked Paprika|4 oz|16 oz", "Ground Cinnamon|4 oz|16 oz",
          "Himalayan Pink Salt Grinder|2.5 oz|10 oz"),
         ("", "Pack of 2")),
    # Office Products
    _Sub(_OF, "Notebooks", "NTB", "notebook", "", 9, .45, .01, .8, 1.0, False,
         ("Dotted Bullet Journal|A5|B5", "Spiral Notebook|College Ruled|Wide Ruled",
          "Hardcover Lined Journal|A5|8.5 x 11"),
         ("", "3-Pack", "5-Pack")),
    _Sub(_OF, "Pens", "PEN", "pen set", "", 7, .45, .012, .8, 1.0, False,
         ("Gel Pens|0.5mm|0.7mm", "Fine Point Markers|Assorted Colors", "Ballpoint Pens|1.0mm|Black"),
         ("12-Pack", "24-Pack", "36-Pack")),
    _Sub(_OF, "Desk organisers", "DSK", "desk organiser", "desk", 20, .5, .015, .75, .9,
         False,
         ("Mesh Desk Organizer|Black|White", "Monitor Stand Riser|Wood|Metal",
          "Drawer Organizer Tray|5-Compartment|9-Compartment")),
    _Sub(_OF, "Office chairs", "CHR", "chair", "desk", 180, .5, .035, .45, .6, False,
         ("Ergonomic Office Chair|High Back|with Lumbar Support", "Mesh Task Chair|Adjustable Arms",
          "Executive Leather Chair|Black|Brown"),
         ("",), {"missing_parts": .25}),
    _Sub(_OF, "Printer ink", "INK", "ink cartridge", "printer", 32, .5, .035, .75, .9, True,
         ("Remanufactured Ink Cartridge|Black|Tri-Color", "Compatible Toner Cartridge|High Yield",
          "Ink Refill Kit|Black|Color"),
         ("", "2-Pack", "4-Pack"), {"compatibility": .4, "defective": .3}),
    # Baby
    _Sub(_BA, "Baby bottles", "BOT", "bottle", "breast pump", 18, .45, .02, .75, 1.0, False,
         ("Anti-Colic Baby Bottles|4 oz|8 oz", "Glass Baby Bottles|5 oz|8 oz",
          "Bottle Nipples|Slow Flow|Medium Flow"),
         ("", "3-Pack"), {"compatibility": .1}),
    _Sub(_BA, "Strollers", "STR", "stroller", "car seat", 250, .5, .025, .45, .5, False,
         ("Lightweight Travel Stroller|Black|Grey", "Jogging Stroller|All-Terrain",
          "Double Stroller|Side by Side|Compact Fold")),
    _Sub(_BA, "Baby monitors", "MON", "baby monitor", "phone", 85, .55, .035, .65, .7, True,
         ("Video Baby Monitor|5 inch Screen|720p", "Audio Baby Monitor|1000ft Range",
          "WiFi Baby Camera|1080p|2K"),
         ("",), {"defective": .45}),
    _Sub(_BA, "Diapering", "DIA", "diaper pack", "", 30, .4, .01, .75, 1.0, False,
         ("Disposable Diapers|Size 3|Size 4", "Baby Wipes|720 Count|480 Count",
          "Diaper Rash Cream|4 oz"),
         ("",), {"expired_or_used": .2}),
    # Automotive
    _Sub(_AU, "Phone mounts", "MNT", "phone mount", "phone", 16, .45, .03, .8, 1.0, False,
         ("Magnetic Car Phone Mount|for iPhone and Android", "Dashboard Phone Holder|360 Rotation",
          "Vent Phone Mount|Universal")),
    _Sub(_AU, "Wiper blades", "WIP", "wiper blade", "car", 20, .4, .04, .75, .8, False,
         ("All-Season Wiper Blades|26+16 inch|24+18 inch", "Beam Wiper Blades|22+20 inch",
          "Rear Wiper Blade|12 inch|14 inch"),
         ("", "Set of 2")),
    _Sub(_AU, "Floor mats", "MAT", "floor mat", "car", 45, .5, .035, .65, .7, False,
         ("All-Weather Floor Mats|Front and Rear|Black", "Custom Fit Floor Liners|Black|Grey",
          "Trunk Cargo Liner|Universal"),
         ("", "4-Piece")),
    _Sub(_AU, "Dash cams", "DSH", "dash cam", "car", 75, .55, .035, .7, .7, True,
         ("4K Dash Cam|with 64GB Card|Night Vision", "Front and Rear Dash Cam|1440p",
          "Mini Dash Cam|1080p")),
    _Sub(_AU, "Tire inflators", "TIR", "tire inflator", "car", 42, .5, .03, .7, .6, True,
         ("Portable Tire Inflator|12V|150 PSI", "Digital Tire Pressure Gauge|150 PSI",
          "Cordless Air Compressor|Rechargeable|20V")),
)  # fmt: skip
_SUB_INDEX: dict[str, int] = {s.name: i for i, s in enumerate(_CATALOGUE)}
_CATEGORY_NAMES: tuple[str, ...] = tuple(_CATEGORIES)


def _theme_weights(sub: _Sub) -> np.ndarray:
    weights = dict(_CATEGORIES[sub.category].themes) | sub.themes
    vec = np.array([weights.get(t, 0.0) for t in _PROBLEM_THEMES])
    return vec / vec.sum()


_SUB_THEMES: np.ndarray = np.stack([_theme_weights(s) for s in _CATALOGUE])  # (n_sub, 9)

# ---------------------------------------------------------------------------------------
# Feedback vocabulary: sources, reason codes, comments
# ---------------------------------------------------------------------------------------
_SOURCES: tuple[str, ...] = ("return", "refund", "contact", "review", "seller_feedback")
_RETURN, _REFUND, _CONTACT, _REVIEW, _SELLER_FB = range(5)

# (code, weight) per theme for returns; "OTHER" leaves the theme to the comment.
_RETURN_REASONS: dict[str, tuple[tuple[str, float], ...]] = {
    "defective": (("DEFECTIVE", .85), ("WARRANTY", .05), ("OTHER", .10)),
    "damaged": (("DAMAGED_BY_FC", .85), ("OTHER", .15)),
    "quality": (("QUALITY_UNACCEPTABLE", .85), ("OTHER", .15)),
    "missing_parts": (("MISSING_PARTS", .85), ("OTHER", .15)),
    "wrong_item": (("SWITCHEROO", .8), ("OTHER", .2)),
    "not_as_described": (("NOT_AS_DESCRIBED", .8), ("AMZ-PG-BAD-DESC", .1), ("OTHER", .1)),
    "size_fit": (("APPAREL_TOO_SMALL", .4), ("APPAREL_TOO_LARGE", .25), ("POOR_FIT", .2),
                 ("OTHER", .15)),
    "compatibility": (("NOT_COMPATIBLE", .6), ("PART_NOT_COMPATIBLE", .25), ("OTHER", .15)),
    "expired_or_used": (("OTHER", .8), ("QUALITY_UNACCEPTABLE", .2)),
    "delivery": (("MISSED_ESTIMATED_DELIVERY", .55), ("NEVER_ARRIVED", .12),
                 ("EXTRA_ITEM", .08), ("UNDELIVERABLE_REFUSED", .05)),
    "carrier": (("DAMAGED_BY_CARRIER", 1.0),),
    "remorse": (("UNWANTED_ITEM", .3), ("NO_REASON_GIVEN", .13), ("FOUND_BETTER_PRICE", .12),
                ("MISORDERED", .12), ("ORDERED_WRONG_ITEM", .08), ("UNAUTHORIZED_PURCHASE", .03),
                ("DID_NOT_LIKE_COLOR", .07), ("DID_NOT_LIKE_FABRIC", .05), ("APPAREL_STYLE", .1)),
}  # fmt: skip
# FBA replacement reason codes (docs/amazon-reports.md) per theme; "0" = other, None = no code.
_CONTACT_REASONS: dict[str, tuple[tuple[str | None, float], ...]] = {
    "defective": (("2", 0.85), ("0", 0.15)),
    "damaged": (("10", 0.85), ("0", 0.15)),
    "quality": (("0", 0.6), (None, 0.4)),
    "missing_parts": (("0", 0.6), (None, 0.4)),
    "wrong_item": (("4", 0.85), ("0", 0.15)),
    "not_as_described": (("7", 0.8), ("0", 0.2)),
    "size_fit": (("0", 0.5), (None, 0.5)),
    "compatibility": (("0", 0.6), (None, 0.4)),
    "expired_or_used": (("0", 0.6), (None, 0.4)),
    "delivery": (("1", 0.15), ("3", 0.1), ("5", 0.1), ("6", 0.2), ("9", 0.15), ("11", 0.3)),
    "remorse": (("12", 1.0),),
}
_REASONS: tuple[str, ...] = tuple(
    dict.fromkeys(
        [c for v in _RETURN_REASONS.values() for c, _ in v]
        + [c for v in _CONTACT_REASONS.values() for c, _ in v if c is not None]
    )
)
_R = {code: i for i, code in enumerate(_REASONS)}

_FULFILMENT_CENTERS: tuple[str, ...] = (
    "PHX7", "ONT8", "BFI4", "MDW2", "TPA1", "SDF8", "ABE2", "CLT2", "DFW7", "LGB8", "RIC2",
    "EWR4", "MKE1", "IND9",
)  # fmt: skip

# Comment cores per pool. "{item}" is what the customer calls the product, "{device}" what
# it should work with. Cores marked "p:" are for powered products only, "u:" for others.
_CORES: dict[str, tuple[str, ...]] = {
    "defective": (
        "p:The {item} stopped working after two weeks.",
        "p:Stopped working after 3 days.",
        "p:Dead on arrival, would not turn on at all.",
        "p:Won't turn on anymore after a week.",
        "p:Worked for a month then died completely.",
        "p:Faulty unit, it keeps switching itself off.",
        "p:Doesn't work. Tried everything in the manual.",
        "p:Stopped charging after a few days.",
        "Broke after a week of normal use.",
        "The {item} broke the first time I used it.",
        "Defective {item}, it broke within days.",
        "Second one that broke, clearly a bad batch.",
        "u:The zipper broke on day one.",
        "u:The handle snapped off after a few uses.",
        "u:Seam split open after two days.",
        "u:The clasp broke the first time I used it.",
    ),
    "damaged": (
        "Arrived damaged, the {item} was cracked inside the box.",
        "The {item} came with a big dent and scratches all over.",
        "The {item} was broken in pieces when I opened it.",
        "Packaging was fine but the {item} inside was smashed.",
        "Item arrived damaged, looks like it was packed that way.",
        "Cracked straight out of the box.",
        "The seal was broken and it had leaked everywhere.",
        "Scratched and chipped, clearly damaged stock.",
        "Came torn along one side.",
        "Received it damaged, there is a crack down the middle.",
    ),
    "quality": (
        "Poor quality, feels cheap.",
        "Cheaply made, the material is thin and flimsy.",
        "Very low quality for the price.",
        "The stitching came apart after one wash.",
        "Flimsy plastic, feels like it will snap.",
        "Quality is terrible compared to the one I had before.",
        "Fell apart within a week.",
        "Smells strongly of chemicals and the finish is peeling.",
        "Not worth the money, poor quality materials.",
        "The coating started peeling off after the first use.",
        "Feels like a cheap knockoff of the real thing.",
        "Really poor build quality, wobbly and uneven.",
    ),
    "missing_parts": (
        "Missing parts, there were no screws in the box.",
        "The instructions were missing and so was one of the pieces.",
        "Only got 3 of the 4 in the set, one is missing.",
        "Parts missing, could not assemble it.",
        "Half the hardware was missing.",
        "Incomplete set, one piece missing.",
        "The mounting bracket was not included even though it should be.",
        "Box was sealed but the lid was missing.",
        "p:Missing the charging cable.",
        "p:Came without the remote, which is listed as included.",
        "u:Missing pieces, the set is incomplete.",
    ),
    "wrong_item": (
        "Received the wrong item.",
        "Sent me a completely different product.",
        "Wrong colour sent, I ordered black and got pink.",
        "This is not what I ordered, totally different model.",
        "Got someone else's order in my box.",
        "They sent the wrong {item}.",
        "Wrong item in the package, the label says one thing and the contents another.",
        "Wrong product shipped, the barcode doesn't even match.",
        "Received a different brand entirely.",
        "Not the item I ordered at all.",
    ),
    "not_as_described": (
        "Not as described, the {item} is much smaller than the listing says.",
        "Not as pictured at all.",
        "Looks nothing like the photos.",
        "The description says 100% cotton but the tag says polyester.",
        "Misleading description, the dimensions in the listing are wrong.",
        "Description says dishwasher safe, the box says hand wash only.",
        "Not the material advertised.",
        "The product photos are misleading.",
        "Description says it is waterproof. It is not.",
        "Different from the picture, much thinner than described.",
        "Colour is nothing like the picture.",
        "Listing claims it is stainless steel, it is painted plastic.",
    ),
    "size_fit": (
        "Too small, runs at least a size small.",
        "Way too big, had to send it back for a smaller size.",
        "Runs small. Order a size up.",
        "Runs large, the size chart is off.",
        "Too tight across the shoulders.",
        "The fit is awful, too loose everywhere.",
        "Sizing is way off compared to other brands.",
        "Too narrow, does not fit at all.",
        "Ordered my usual size and it is too small.",
        "Too short for the listed size.",
    ),
    "compatibility": (
        "Not compatible with my {device}.",
        "Doesn't work with my {device} even though the listing says it does.",
        "Incompatible with my {device} model.",
        "Not compatible, my {device} doesn't recognise it.",
        "Won't work with my {device}, the compatibility list is wrong.",
        "Says compatible with my model but it isn't.",
        "Wrong connector for my {device}, not compatible.",
        "Checked the compatibility chart twice, still not compatible with my {device}.",
    ),
    "expired_or_used": (
        "Arrived expired, the best before date was last month.",
        "Expired product. Very disappointing.",
        "Past its expiration date when it arrived.",
        "Clearly used, there were hairs on it.",
        "The seal was already broken and it looked used.",
        "Box had been opened and the {item} was used.",
        "Expiry date is next week, can't use it in time.",
        "This was a returned item that had been used.",
        "Smelled stale and the date had passed.",
        "Product was used and resold as new.",
    ),
    "delivery": (
        "Arrived late, I needed it for a birthday.",
        "Never arrived. Tracking says delivered but nothing here.",
        "Package never arrived.",
        "Took three weeks to arrive.",
        "Delivered to the wrong address.",
        "Still waiting for delivery, two weeks past the date.",
        "Missed the delivery date, it arrived after the party.",
        "Tracking never updated and it arrived very late.",
        "Lost in the post, never arrived.",
        "Shipping took forever, arrived late.",
    ),
    "carrier": (
        "Box was crushed in transit, the courier clearly dropped it.",
        "Parcel arrived soaking wet and torn open by the carrier.",
        "Outer box smashed during delivery.",
        "The delivery driver threw it over the fence.",
    ),
    "remorse": (
        "Changed my mind.",
        "Found it cheaper elsewhere.",
        "No longer needed.",
        "Ordered by mistake.",
        "Bought two by accident.",
        "Just didn't like the colour.",
        "Gift wasn't needed after all.",
        "Decided to keep my old one.",
        "Found a better price elsewhere.",
        "Accidentally ordered, don't need it.",
        "No longer needed, plans changed.",
        "Changed my mind about the style.",
    ),
    "review_pos": (
        "Love it, does exactly what I wanted.",
        "Great value for the money.",
        "Works great, would buy again.",
        "Really happy with this {item}.",
        "Well made and sturdy.",
        "Exactly what I needed.",
        "Perfect, this is my second one.",
        "Five stars, no complaints.",
        "Excellent {item}, very happy.",
        "Nice {item}, easy to set up.",
        "As good as the more expensive brands.",
        "My family loves it.",
    ),
    "review_mixed": (
        "It's okay for the price.",
        "Does the job but nothing special.",
        "Average, expected a bit more.",
        "Decent but the instructions were confusing.",
        "Fine, but I probably wouldn't buy again.",
        "Works, but it's a little noisy.",
        "Not bad, not great.",
        "Okay {item}, a bit overpriced.",
    ),
    "sf_pos": (
        "Fast shipping, great seller.",
        "Arrived quickly and well packaged.",
        "Smooth transaction, thank you!",
        "Great communication, would buy from again.",
        "Everything perfect.",
        "Arrived a day early.",
        "Friendly seller, quick response.",
        "A+++",
    ),
    "sf_neg": (
        "Seller never answered my messages.",
        "Shipping took forever.",
        "Item arrived late.",
        "Poor packaging.",
        "Had to chase the seller for a refund.",
        "Product broke quickly and the seller didn't help.",
        "Package never arrived and the seller was slow to respond.",
        "Refund took weeks.",
    ),
}
_OPENERS: dict[str, tuple[str, ...]] = {
    "negative": ("", "", "", "", "", "Very disappointed.", "Ugh.", "Not happy.",
                 "Really annoyed.", "Bought this as a gift.", "Second time ordering this.",
                 "Update:", "Ordered two.", "First time buying this brand.", "Hello."),
    "neutral": ("", "", "", "", "Bought this as a gift.", "Hello.", "Sorry.", "Update:"),
    "none": ("",),
}  # fmt: skip
_CLOSERS: dict[str, tuple[str, ...]] = {
    "negative": ("", "", "", "", "Returning it.", "Sending it back.", "Want a refund.",
                 "Would not recommend.", "Avoid.", "Please send a replacement.", "1 star.",
                 "Not impressed.", "Will not buy again.", "Very frustrating.",
                 "Really disappointing."),
    "neutral": ("", "", "", "Returning it.", "Nothing wrong with it.", "Item is unopened.",
                "Still in original packaging.", "Thanks."),
    "positive": ("", "", "", "Thanks!", "Recommended.", "Would buy again."),
    "none": ("",),
}  # fmt: skip
_POOL_TONE: dict[str, tuple[str, str]] = {
    **{t: ("negative", "negative") for t in _PROBLEM_THEMES},
    "delivery": ("negative", "negative"),
    "carrier": ("negative", "negative"),
    "remorse": ("neutral", "neutral"),
    "review_pos": ("none", "positive"),
    "review_mixed": ("none", "none"),
    "sf_pos": ("none", "none"),
    "sf_neg": ("none", "negative"),
}
# Misspellings applied to some comments; only words that carry no theme meaning.
_TYPOS: tuple[tuple[str, str], ...] = (
    ("received", "recieved"), ("Received", "Recieved"), ("really", "realy"),
    ("Really", "Realy"), ("because", "becuase"), ("disappointed", "dissapointed"),
    ("Returning", "Returing"), ("recommend", "reccomend"), ("frustrating", "frustating"),
    ("the box", "teh box"), ("Ordered two", "Orderd two"), ("definitely", "definately"),
    ("which", "wich"), ("Sending", "Sendng"), ("there", "ther"), ("Bought", "Bougth"),
)  # fmt: skip
_XSS: tuple[str, ...] = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")


def _pool_keys() -> list[str]:
    """Comment pools: problem themes split by powered/unpowered products, then the rest."""
    keys = [f"{t}/{p}" for t in _PROBLEM_THEMES for p in ("p", "u")]
    return keys + [k for k in _CORES if k not in _PROBLEM_THEMES]


_POOLS: list[str] = _pool_keys()
_P = {k: i for i, k in enumerate(_POOLS)}


# French comments, as customers in Québec write them, on some offers (_FRENCH_OFFER_EVERY):
# a problem or a review pool's comment there is replaced by one of these, every third with
# its accents left out. Delivery and remorse pools stay English, so what counts (decided
# by the text for some events) is the same either way.
_FRENCH_CORES: dict[str, tuple[str, ...]] = {
    "defective": (
        "Ne fonctionne pas du tout, même après l'avoir chargé toute la nuit.",
        "Ça marche pas. Arrêté de fonctionner après deux jours.",
        "Défectueux dès la première utilisation.",
        "Il s'allume plus après une semaine, vraiment décevant.",
        "Le produit est défectueux, il fait un bruit bizarre et s'éteint.",
    ),
    "damaged": (
        "Arrivé brisé, le coin est complètement fissuré.",
        "Reçu endommagé, il y a une grosse bosse sur le côté.",
        "L'article est arrivé cassé dans la boîte.",
        "Brisé à l'ouverture du colis, des morceaux partout.",
    ),
    "quality": (
        "Qualité médiocre, ça fait cheap.",
        "Très mauvaise qualité, les coutures se défont déjà.",
        "Matériel de piètre qualité, pas solide du tout.",
        "S'est usé en quelques jours, qualité vraiment ordinaire.",
    ),
    "missing_parts": (
        "Il manque des pièces, impossible à assembler.",
        "Pièces manquantes : pas de vis dans la boîte.",
        "Il manquait le chargeur dans l'emballage.",
        "Incomplet, il manque une partie de l'ensemble.",
    ),
    "wrong_item": (
        "J'ai reçu le mauvais article, rien à voir avec ma commande.",
        "Mauvais produit envoyé, ce n'est pas ce que j'ai commandé.",
        "On m'a envoyé la mauvaise couleur.",
        "Reçu un autre modèle que celui commandé.",
    ),
    "not_as_described": (
        "Pas conforme à la description.",
        "Ne correspond pas à la photo, la couleur est différente.",
        "Pas comme annoncé, beaucoup plus petit que sur l'image.",
        "La description est trompeuse, ce n'est pas en acier inoxydable.",
    ),
    "size_fit": (
        "Trop petit, taille vraiment pas comme d'habitude.",
        "Beaucoup trop grand pour la grandeur indiquée.",
        "La grandeur ne fait pas, c'est trop serré.",
        "Taille trop petite, il faut commander une taille de plus.",
    ),
    "compatibility": (
        "Pas compatible avec mon appareil.",
        "Incompatible avec mon modèle malgré la liste de compatibilité.",
        "Ne fonctionne pas avec mon téléphone, pas compatible.",
        "Le connecteur n'est pas compatible avec mon appareil.",
    ),
    "expired_or_used": (
        "Produit expiré à la réception, la date est passée.",
        "Déjà utilisé, la boîte avait été ouverte.",
        "Date de péremption dépassée.",
        "Visiblement usagé, vendu comme neuf.",
    ),
    "review_pos": (
        "Excellent produit, je recommande!",
        "Très satisfait, fait exactement ce que je voulais.",
        "Super qualité pour le prix.",
        "Parfait, deuxième fois que je l'achète.",
    ),
    "review_mixed": (
        "Correct pour le prix.",
        "Ça fait la job, sans plus.",
        "Pas mal, mais je m'attendais à mieux.",
    ),
    "sf_pos": (
        "Livraison rapide, vendeur au top.",
        "Bien emballé, merci!",
        "Transaction parfaite.",
    ),
    "sf_neg": (
        "Le vendeur n'a jamais répondu à mes messages.",
        "Le remboursement a pris des semaines.",
    ),
}
# Every _FRENCH_OFFER_EVERY-th offer (by its index, offset 2) has French-speaking customers.
_FRENCH_OFFER_EVERY = 4


def _without_accents(text: str) -> str:
    """As many customers type: no accents ("Arrivé brisé" -> "Arrive brise")."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _french(comments: pl.Series, events: dict[str, np.ndarray]) -> pl.Series:
    """Comments of the French offers' problem and review pools in French (deterministic:
    the core is picked by the event's position, no random draw, so the demo's numbers do
    not move)."""
    keys = [key.partition("/")[0] for key in _POOLS]
    french_pool = np.array([k in _FRENCH_CORES for k in keys])
    pool = events["pool"]
    has_text = (comments.str.strip_chars().str.len_chars().fill_null(0) > 0).to_numpy()
    rows = np.flatnonzero(
        (events["offer"] % _FRENCH_OFFER_EVERY == 2)
        & (pool >= 0)
        & french_pool[np.maximum(pool, 0)]
        & has_text
    )
    if not len(rows):
        return comments
    texts = []
    for n, r in enumerate(rows):
        cores = _FRENCH_CORES[keys[pool[r]]]
        text = cores[(int(r) * 7 + int(events["offer"][r])) % len(cores)]
        texts.append(_without_accents(text) if n % 3 == 2 else text)
    return comments.scatter(rows, pl.Series(texts, dtype=pl.String))


def _pool_cores(key: str) -> list[str]:
    theme, _, kind = key.partition("/")
    out = []
    for core in _CORES[theme]:
        tag, sep, text = core.partition(":")
        if sep and tag in ("p", "u"):
            if tag == kind:
                out.append(text)
        else:
            out.append(core)
    return out


# ---------------------------------------------------------------------------------------
# Demo seller plan
# ---------------------------------------------------------------------------------------
_KINDS: tuple[str, ...] = (
    "other",  # an offer of another seller
    "fair",
    "good",
    "excellent",
    "poor",
    "very_poor",
    "insufficient",
    "no_recent",
    "closed_ncx",
    "reinstated",
    "deleted",
    "closed_other",
    "fixed",
    "new",
    "surging",  # early warning: fair until its rate rises 4-6 weeks before the end
)
_K = {k: i for i, k in enumerate(_KINDS)}

# Subcategories the demo seller sells in; its ordinary offers are spread over them.
_DEMO_SUBS: tuple[str, ...] = (
    "Pillow inserts", "Cookware", "Bedding", "Storage & organisation", "Kitchen utensils",
    "Small appliances", "Dog toys", "Pet beds", "Cat supplies", "Aquarium supplies",
    "Notebooks", "Desk organisers", "Office chairs", "Yoga & fitness", "Water bottles",
    "Camping gear", "Baby bottles", "Baby monitors", "Light bulbs", "Hand tools",
    "Hair tools", "Skin care", "Phone chargers", "Cables & adapters",
)  # fmt: skip
# Planted offers: (kind, subcategory, dominant theme); the demo rng shuffles their SKUs.
_DEMO_PLANTED: tuple[tuple[str, str, str], ...] = (
    ("excellent", "Small appliances", ""),
    ("excellent", "Bedding", ""),
    ("excellent", "Phone chargers", ""),
    ("excellent", "Cables & adapters", ""),
    ("excellent", "Hair tools", ""),
    ("excellent", "Light bulbs", ""),
    ("excellent", "Baby monitors", ""),
    ("very_poor", "Pillow inserts", "quality"),
    ("very_poor", "Cookware", "damaged"),
    ("very_poor", "Pet beds", "size_fit"),
    ("very_poor", "Yoga & fitness", "not_as_described"),
    ("poor", "Storage & organisation", "quality"),
    ("poor", "Kitchen utensils", "damaged"),
    ("poor", "Dog toys", "quality"),
    ("poor", "Water bottles", "defective"),
    ("poor", "Desk organisers", "missing_parts"),
    ("poor", "Baby bottles", "not_as_described"),
    ("poor", "Camping gear", "missing_parts"),
    ("poor", "Aquarium supplies", "defective"),
    ("insufficient", "Cookware", "defective"),
    ("insufficient", "Cat supplies", "quality"),
    ("insufficient", "Camping gear", "quality"),
    ("insufficient", "Hand tools", "defective"),
    ("insufficient", "Skin care", "expired_or_used"),
    ("closed_ncx", "Dog toys", "wrong_item"),
    ("closed_ncx", "Small appliances", "defective"),
    ("reinstated", "Pet beds", "quality"),
    ("deleted", "Notebooks", ""),
    ("deleted", "Storage & organisation", ""),
    ("closed_other", "Water bottles", ""),
    ("fixed", "Pillow inserts", "not_as_described"),
    ("fixed", "Small appliances", "defective"),
    ("fixed", "Kitchen utensils", "damaged"),
    ("fixed", "Phone chargers", "compatibility"),
    ("new", "Pillow inserts", ""),
    ("new", "Desk organisers", ""),
    ("new", "Dog toys", ""),
)
_DEMO_OFFERS: int = 150
_DEMO_GOOD: int = 16
_DEMO_NO_RECENT: int = 10

# Seller actions per fixed theme: (action, note).
_FIX_ACTIONS: dict[str, tuple[str, str]] = {
    "not_as_described": ("edited listing", "Corrected size and material in title and bullets"),
    "size_fit": ("edited listing", "Added a size chart and a 'runs small' note"),
    "compatibility": ("edited listing", "Listed the compatible models explicitly"),
    "defective": ("changed supplier", "New factory batch with 100% function test"),
    "quality": ("changed supplier", "Switched to a heavier-grade material"),
    "missing_parts": ("changed supplier", "Supplier now seals the hardware bag in the box"),
    "damaged": ("removed stock", "Removal order for the damaged batch at the FC"),
    "wrong_item": ("removed stock", "Removed mislabelled units, relabelled the FNSKU"),
    "expired_or_used": ("removed stock", "Removed the short-dated lot from inventory"),
}
_NOOP_ACTIONS: tuple[tuple[str, str], ...] = (
    ("edited listing", "Updated the main image"),
    ("edited listing", "Added A+ content"),
    ("relisted", "Relisted after a price change"),
)


@dataclass(frozen=True)
class DemoData:
    """The demo marketplace: the canonical tables of engine/sql/schema.sql as polars frames."""

    offers: pl.DataFrame
    orders: pl.DataFrame
    feedback: pl.DataFrame
    actions: pl.DataFrame


@dataclass(frozen=True)
class _Truth:
    """What the generator planted (for tests): not part of the public API."""

    offer_kind: pl.DataFrame  # seller_id, sku, kind, subcategory, theme, rates
    counted: pl.Series  # per feedback row (same order): True for planted problem events


_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "offers": {
        "seller_id": pl.String(), "sku": pl.String(), "asin": pl.String(),
        "title": pl.String(), "brand": pl.String(), "category": pl.String(),
        "subcategory": pl.String(), "price": pl.Float64(), "fulfilment": pl.String(),
        "created_at": pl.Date(), "closed_at": pl.Date(), "closed_reason": pl.String(),
        "reinstated_at": pl.Date(), "deleted_at": pl.Date(),
    },
    "orders": {
        "order_id": pl.String(), "seller_id": pl.String(), "sku": pl.String(),
        "purchase_date": pl.Datetime("us"), "quantity": pl.Int32(), "status": pl.String(),
        "sold_by_seller": pl.Boolean(), "updated_at": pl.Datetime("us"),
    },
    "feedback": {
        "feedback_id": pl.String(), "seller_id": pl.String(), "sku": pl.String(),
        "order_id": pl.String(), "event_date": pl.Datetime("us"), "source": pl.String(),
        "reason_code": pl.String(), "rating": pl.Int8(), "comment": pl.String(),
        "fulfilment_center": pl.String(),
    },
    "actions": {
        "seller_id": pl.String(), "sku": pl.String(), "action_date": pl.Date(),
        "action": pl.String(), "note": pl.String(),
    },
}  # fmt: skip
"""Column order and polars dtypes of the generated frames (mirrors engine/sql/schema.sql)."""


def generate(scale: float = 1.0, seed: int = 7, end: date = DEMO_END) -> DemoData:
    """Generate the demo marketplace.

    ``scale`` multiplies the number of other sellers' offers (and so order lines and
    events); the demo seller keeps its 150 offers and ~60 sellers is the minimum.
    ``seed`` fixes every random draw; ``end`` is the last day of data (orders and events
    fall in the 15 calendar months ending on it, none after it). Same arguments, same
    frames. Columns, order and dtypes are those of engine/sql/schema.sql (``_SCHEMAS``).
    Raises ``ValueError`` for a scale that is not positive.
    """
    data, _ = _generate(scale, seed, end)
    return data


# ---------------------------------------------------------------------------------------
# Calendar
# ---------------------------------------------------------------------------------------
def _span_start(end: date) -> date:
    """First day of the 15 calendar months ending on ``end`` (e.g. 2025-08-01 for 2026-10-31)."""
    after = end + timedelta(days=1)
    months = after.year * 12 + after.month - 1 - _SPAN_MONTHS
    year, month = divmod(months, 12)
    day = min(after.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _daily_shape(start: date, n_days: int, rng: np.random.Generator) -> np.ndarray:
    """Relative demand per day: growth, weekly cycle, holiday peak, Prime Day and noise.

    Normalised so that the mean over the last 90 days is 1 (offers' rates are "recent").
    """
    day_no = np.arange(n_days)
    dates = np.datetime64(start, "D") + day_no
    weekday = (dates.astype("datetime64[D]").view("int64") - 4) % 7  # 1970-01-01 Thursday
    # Monday .. Sunday, weekend peak.
    weekly = np.array([0.93, 0.9, 0.92, 0.95, 1.0, 1.17, 1.13])[weekday]
    trend = np.exp(np.log(1.35) * (day_no - (n_days - 1)) / 365.0)
    factor = np.ones(n_days)
    first = start.year
    last = (start + timedelta(days=n_days)).year
    for year in range(first, last + 1):
        thanksgiving = _nth_weekday(year, 11, 3, 4)
        spans: list[tuple[date, date, float]] = [
            (date(year, 11, 15), thanksgiving, 1.25),
            (thanksgiving + timedelta(days=1), thanksgiving + timedelta(days=1), 2.7),
            (thanksgiving + timedelta(days=2), thanksgiving + timedelta(days=3), 2.0),
            (thanksgiving + timedelta(days=4), thanksgiving + timedelta(days=4), 2.4),
            (thanksgiving + timedelta(days=5), date(year, 12, 10), 1.65),
            (date(year, 12, 11), date(year, 12, 20), 1.5),
            (date(year, 12, 21), date(year, 12, 24), 1.2),
            (date(year, 12, 25), date(year, 12, 25), 0.7),
            (date(year, 12, 26), date(year, 12, 31), 1.1),
            (date(year, 1, 1), date(year, 1, 31), 0.85),
        ]
        prime = _nth_weekday(year, 7, 1, 2)
        spans.append((prime, prime + timedelta(days=1), 2.2))
        for lo, hi, f in spans:
            a = (lo - start).days
            b = (hi - start).days + 1
            if b > 0 and a < n_days:
                factor[max(a, 0) : min(b, n_days)] = f
    noise = np.exp(rng.normal(0.0, 0.05, n_days))
    shape = weekly * trend * factor * noise
    return shape / shape[-90:].mean()


# ---------------------------------------------------------------------------------------
# Offer plan
# ---------------------------------------------------------------------------------------
_NONE = -(10**6)  # "no such day" for closure/reinstatement/deletion day numbers
_NEVER = 10**6  # "no rate change"


@dataclass
class _Offers:
    """Per-offer arrays (index = offer number; demo seller's offers first)."""

    seller: np.ndarray  # int32 index into seller ids
    sub: np.ndarray  # int16 index into _CATALOGUE
    fba: np.ndarray  # bool
    price: np.ndarray  # float64
    lam: np.ndarray  # recent daily order lines at full demand
    beta: np.ndarray  # yearly drift of the offer's demand (log)
    rate_before: np.ndarray
    rate_after: np.ndarray
    change_day: np.ndarray  # day number from which rate_after applies
    created: np.ndarray  # day number (negative: before the data span)
    stop: np.ndarray  # first day without sales (exclusive end), n_days if selling on
    gap_lo: np.ndarray  # sales pause [gap_lo, gap_hi) (closure then reinstatement)
    gap_hi: np.ndarray
    closed: np.ndarray
    closed_reason: np.ndarray  # 0 none, 1 ncx, 2 other
    reinstated: np.ndarray
    deleted: np.ndarray
    theme_cum: np.ndarray  # (n, 9) cumulative problem-theme distribution
    dominant: np.ndarray  # int8 dominant theme (-1 none)
    quiet: np.ndarray  # bool: counted events carry no comment (insufficient feedback)
    kind: np.ndarray  # int8 index into _KINDS
    actions: list[tuple[int, int, str, str]]  # (offer, day, action, note)

    @property
    def n(self) -> int:
        return len(self.seller)


def _theme_cum(sub: np.ndarray, dominant: np.ndarray, weight: np.ndarray) -> np.ndarray:
    probs = _SUB_THEMES[sub] * (1.0 - weight)[:, None]
    has = dominant >= 0
    probs[np.flatnonzero(has), dominant[has]] += weight[has]
    probs /= probs.sum(axis=1, keepdims=True)
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = 1.0
    return cum


def _draw_themes(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One theme index per row of ``probs`` (rows: distributions over _PROBLEM_THEMES)."""
    cum = np.cumsum(probs, axis=1)
    drawn = (cum < rng.random(len(probs))[:, None] * cum[:, -1:]).sum(axis=1)
    return np.minimum(drawn, probs.shape[1] - 1)


def _round_price(raw: np.ndarray) -> np.ndarray:
    """Shelf prices: x.99 below 100, x9.99 from 100 on; never below 2.99."""
    raw = np.maximum(raw, 2.5)
    low = np.floor(raw) + 0.99
    high = np.floor(raw / 10.0) * 10.0 + 9.99
    return np.round(np.where(raw < 100, low, high), 2)


# Early warning (docs/health.md, "At risk"): fair offers whose rate rises this many days
# before the end, mostly of their favourite theme; at risk weeks before they turn poor.
_SURGE_DAYS_AGO: tuple[int, ...] = (42, 35, 28)


def _plant_surges(
    kind: np.ndarray, lam: np.ndarray, change: np.ndarray, dom_weight: np.ndarray, last: int
) -> None:
    """Turn the first fair offers into ``surging`` ones (in place; draws no random
    numbers, so the rest of the demo is unchanged): 5 orders a day, the rate rising on
    day ``last - _SURGE_DAYS_AGO`` (rates: ``_PLANT_MULT``)."""
    ix = np.flatnonzero(kind == _K["fair"])[-len(_SURGE_DAYS_AGO) :]
    kind[ix] = _K["surging"]
    lam[ix] = 5.0
    dom_weight[ix] = 0.85
    change[ix] = last - np.array(_SURGE_DAYS_AGO[: len(ix)], dtype=np.int32)


def _demo_plan(n_days: int, rng: np.random.Generator) -> _Offers:
    """The featured seller's 150 offers: kinds, subcategories, volumes and lifecycle.

    Volumes are recent orders per day: excellent 10-13, good 3.5-6, poor 7-9, very poor
    4-7, insufficient feedback 2-3.5 (MFN, counted events without comments), closed for
    NCX 2-4 (closed 20 and 45 days before the end, not reinstated), reinstated 2-4
    (closed 200 days before the end, back 40 days later, "relisted" action), fixed 3-5
    (fix 130/100/160/70 days before the end, recorded in actions), new 1-3 (created
    25/14/6 days before the end), others 0.15-4; ten offers stop selling 125-330 days
    before the end, two are deleted (30 and 150 days before), one closed for another
    reason (60 days before). Problem rates are set later by ``_calibrate_demo``.
    """
    plan: list[tuple[str, str, str]] = list(_DEMO_PLANTED)
    n_fill = _DEMO_OFFERS - len(plan)
    fill_kinds = ["good"] * _DEMO_GOOD + ["no_recent"] * _DEMO_NO_RECENT
    fill_kinds += ["fair"] * (n_fill - len(fill_kinds))
    # Home & Kitchen subcategories take a double share of the ordinary offers.
    weights = np.array(
        [2.0 if _CATALOGUE[_SUB_INDEX[s]].category == _HK else 1.0 for s in _DEMO_SUBS]
    )
    fill_subs = rng.choice(len(_DEMO_SUBS), size=n_fill, p=weights / weights.sum())
    plan += [(k, _DEMO_SUBS[s], "") for k, s in zip(fill_kinds, fill_subs, strict=True)]
    order = rng.permutation(len(plan))  # scatter planted offers over the SKU numbers
    plan = [plan[i] for i in order]

    n = len(plan)
    kind = np.array([_K[k] for k, _, _ in plan], dtype=np.int8)
    sub = np.array([_SUB_INDEX[s] for _, s, _ in plan], dtype=np.int16)
    dominant = np.array([_T[x] if x else -1 for _, _, x in plan], dtype=np.int8)
    t = np.array([_CATALOGUE[s].typical_rate for s in sub])
    median = np.array([_CATALOGUE[s].median_price for s in sub])
    price = _round_price(median * np.exp(rng.normal(0.0, 0.18, n)))
    fba = rng.random(n) < 0.85
    created = -rng.integers(30, 900, n)
    lam = np.exp(rng.normal(np.log(1.0), 0.6, n)).clip(0.15, 4.0)
    mult = np.exp(rng.normal(0.0, 0.12, n))
    change = np.full(n, _NEVER, dtype=np.int32)
    stop = np.full(n, n_days, dtype=np.int32)
    gap_lo = np.zeros(n, dtype=np.int32)
    gap_hi = np.zeros(n, dtype=np.int32)
    closed = np.full(n, _NONE, dtype=np.int32)
    reason = np.zeros(n, dtype=np.int8)
    reinstated = np.full(n, _NONE, dtype=np.int32)
    deleted = np.full(n, _NONE, dtype=np.int32)
    quiet = np.zeros(n, dtype=bool)
    dom_weight = np.full(n, 0.2)
    actions: list[tuple[int, int, str, str]] = []
    last = n_days - 1

    def pick(name: str) -> np.ndarray:
        return np.flatnonzero(kind == _K[name])

    ix = pick("excellent")
    lam[ix] = rng.uniform(10.0, 13.0, len(ix))
    ix = pick("good")
    lam[ix] = rng.uniform(3.5, 6.0, len(ix))
    ix = pick("poor")
    lam[ix] = rng.uniform(7.0, 9.0, len(ix))
    dom_weight[ix] = 0.55
    ix = pick("very_poor")
    lam[ix] = rng.uniform(4.0, 7.0, len(ix))
    dom_weight[ix] = 0.6
    ix = pick("insufficient")
    lam[ix] = rng.uniform(2.0, 3.5, len(ix))
    quiet[ix] = True
    fba[ix] = False
    dom_weight[ix] = 0.5
    ix = pick("no_recent")
    stop[ix] = last - rng.integers(125, 330, len(ix))
    ix = pick("closed_ncx")
    lam[ix] = rng.uniform(2.0, 4.0, len(ix))
    dom_weight[ix] = 0.6
    for i, days_ago in zip(ix, (20, 45), strict=False):
        closed[i] = stop[i] = last - days_ago
        reason[i] = 1
    ix = pick("reinstated")
    lam[ix] = rng.uniform(2.0, 4.0, len(ix))
    dom_weight[ix] = 0.6
    for i in ix:
        closed[i] = gap_lo[i] = last - 200
        reinstated[i] = gap_hi[i] = change[i] = last - 160
        reason[i] = 1
        actions.append(
            (int(i), int(reinstated[i]), "relisted", "Relisted with new stock after the NCX review")
        )
    ix = pick("deleted")
    for i, days_ago in zip(ix, (30, 150), strict=False):
        deleted[i] = stop[i] = last - days_ago
    ix = pick("closed_other")
    for i in ix:
        closed[i] = stop[i] = last - 60
        reason[i] = 2
    ix = pick("fixed")
    lam[ix] = rng.uniform(3.0, 5.0, len(ix))
    dom_weight[ix] = 0.8
    for i, days_ago in zip(ix, (130, 100, 160, 70), strict=False):
        change[i] = last - days_ago
        action, note = _FIX_ACTIONS[_PROBLEM_THEMES[dominant[i]]]
        actions.append((int(i), int(change[i]), action, note))
    ix = pick("new")
    for i, days_ago in zip(ix, (25, 14, 6), strict=False):
        created[i] = last - days_ago
    lam[ix] = rng.uniform(1.0, 3.0, len(ix))
    _plant_surges(kind, lam, change, dom_weight, last)
    # Ordinary offers without a planted theme still get a mild favourite theme.
    plain = dominant < 0
    dominant[plain] = _draw_themes(_SUB_THEMES[sub[plain]], rng)
    # Placeholder rates (multiples of the typical rate); _calibrate_demo sets the real ones
    # against the expected peer rates, and keeps ``mult`` as the fair offers' spread.
    return _Offers(
        seller=np.zeros(n, dtype=np.int32),
        sub=sub,
        fba=fba,
        price=price,
        lam=lam,
        beta=np.zeros(n),
        rate_before=t * mult,
        rate_after=t * mult,
        change_day=change,
        created=created.astype(np.int32),
        stop=stop,
        gap_lo=gap_lo,
        gap_hi=gap_hi,
        closed=closed,
        closed_reason=reason,
        reinstated=reinstated,
        deleted=deleted,
        theme_cum=_theme_cum(sub.astype(np.int64), dominant.astype(np.int64), dom_weight),
        dominant=dominant,
        quiet=quiet,
        kind=kind,
        actions=actions,
    )


def _others_plan(n: int, n_sellers: int, n_days: int, rng: np.random.Generator) -> _Offers:
    """Other sellers' offers: sellers 1..n_sellers, sorted by seller.

    Problem-rate multiplier of the subcategory's typical rate: 82 % near 1 (log-normal,
    sd 0.3), 8 % a bad tail (3-10x, log-uniform; they sell 40 % less), 10 % very good
    (0.2x). Lifecycle: 3 % new (last 30 days), 3 % stopped selling 120+ days before the
    end, 1 % deleted, 1 % closed for NCX (from the bad tail first; 40 % reinstated with a
    lower rate and a "relisted" action), 0.3 % closed for other reasons (half reinstated),
    2 % with a dated fix recorded in actions, 0.5 % with an action that changes nothing.
    """
    last = n_days - 1
    n_sub = len(_CATALOGUE)
    # Sellers: skewed sizes, every seller at least one offer, a primary category each.
    size_w = np.exp(rng.normal(0.0, 0.8, n_sellers))
    seller = rng.choice(n_sellers, size=n, p=size_w / size_w.sum())
    seller[: min(n, n_sellers)] = np.arange(min(n, n_sellers))
    seller = np.sort(seller).astype(np.int32) + 1
    primary = rng.permutation(np.arange(n_sellers) % len(_CATEGORY_NAMES))[seller - 1]
    cat_of_sub = np.array([_CATEGORY_NAMES.index(s.category) for s in _CATALOGUE])
    popularity = np.array([s.popularity for s in _CATALOGUE])
    in_primary = rng.random(n) < 0.6
    # Subcategory: within the seller's primary category, or any by popularity.
    sub = rng.choice(n_sub, size=n, p=popularity / popularity.sum())
    prim_sub = np.empty(n, dtype=np.int64)
    for c in range(len(_CATEGORY_NAMES)):
        members = np.flatnonzero(cat_of_sub == c)
        mask = primary == c
        w = popularity[members] / popularity[members].sum()
        prim_sub[mask] = rng.choice(members, size=int(mask.sum()), p=w)
    sub = np.where(in_primary, prim_sub, sub).astype(np.int16)

    t = np.array([_CATALOGUE[s].typical_rate for s in sub])
    median = np.array([_CATALOGUE[s].median_price for s in sub])
    sigma = np.array([_CATALOGUE[s].price_sigma for s in sub])
    price = _round_price(median * np.exp(rng.normal(0.0, 1.0, n) * sigma))
    seller_fba = rng.beta(4.0, 2.0, n_sellers + 1)
    fba_p = 0.5 * seller_fba[seller] + 0.5 * np.array([_CATALOGUE[s].fba_share for s in sub])
    fba = rng.random(n) < fba_p

    # Problem-rate multiplier.
    u = rng.random(n)
    mult = np.exp(rng.normal(0.0, 0.3, n))
    bad = u < 0.08
    great = (u >= 0.08) & (u < 0.18)
    mult[bad] = np.exp(rng.uniform(np.log(3.0), np.log(10.0), int(bad.sum())))
    mult[great] = 0.2 * np.exp(rng.normal(0.0, 0.3, int(great.sum())))
    dom_weight = np.where(bad, 0.55, 0.25)

    lam = np.exp(rng.normal(np.log(0.2), 1.0, n)) * popularity[sub]
    lam *= (median / price) ** 0.35 * np.where(fba, 1.2, 0.85)
    lam[bad] *= 0.6
    beta = rng.normal(0.0, 0.25, n)

    # Lifecycle.
    created = np.where(
        rng.random(n) < 0.72,
        -rng.integers(1, 1100, n),
        rng.integers(0, max(last - 31, 1), n),
    ).astype(np.int32)
    stop = np.full(n, n_days, dtype=np.int32)
    gap_lo = np.zeros(n, dtype=np.int32)
    gap_hi = np.zeros(n, dtype=np.int32)
    closed = np.full(n, _NONE, dtype=np.int32)
    reason = np.zeros(n, dtype=np.int8)
    reinstated = np.full(n, _NONE, dtype=np.int32)
    deleted = np.full(n, _NONE, dtype=np.int32)
    change = np.full(n, _NEVER, dtype=np.int32)
    rate_before = np.minimum(t * mult, 0.6)
    rate_after = rate_before.copy()
    dominant = _draw_themes(_SUB_THEMES[sub], rng)
    kind = np.zeros(n, dtype=np.int8)
    actions: list[tuple[int, int, str, str]] = []

    def count(share: float) -> int:
        return int(round(share * n))

    n_new, n_stop, n_del = count(0.03), count(0.03), count(0.01)
    n_ncx, n_oth, n_fix, n_noop = count(0.01), count(0.003), count(0.02), count(0.005)
    order = rng.permutation(n)
    bad_first = np.concatenate([order[bad[order]], order[~bad[order]]])
    taken = np.zeros(n, dtype=bool)

    def take(pool: np.ndarray, k: int) -> np.ndarray:
        pool = pool[~taken[pool]]
        chosen = pool[:k]
        taken[chosen] = True
        return chosen

    for i in take(bad_first, n_ncx):
        created[i] = min(created[i], last - 200)
        day = int(rng.integers(max(created[i], 0) + 60, last - 5))
        closed[i], reason[i] = day, 1
        rate_before[i] = max(rate_before[i], t[i] * rng.uniform(4.0, 8.0))
        rate_after[i] = rate_before[i]
        dom_weight[i] = 0.6
        back = day + int(rng.integers(10, 80))
        if rng.random() < 0.4 and back < last - 1:
            reinstated[i] = gap_hi[i] = change[i] = back
            gap_lo[i] = day
            rate_after[i] = t[i] * rng.uniform(0.5, 1.1)
            actions.append(
                (int(i), back, "relisted", "Relisted after the plan of action was accepted")
            )
        else:
            stop[i] = day
    for i in take(order, n_oth):
        created[i] = min(created[i], last - 120)
        day = int(rng.integers(max(created[i], 0) + 30, last - 3))
        closed[i], reason[i] = day, 2
        back = day + int(rng.integers(5, 40))
        if rng.random() < 0.5 and back < last - 1:
            reinstated[i] = gap_hi[i] = back
            gap_lo[i] = day
        else:
            stop[i] = day
    for i in take(order, n_del):
        created[i] = min(created[i], last - 120)
        day = int(rng.integers(max(created[i], 0) + 45, last - 2))
        deleted[i] = stop[i] = day
    for i in take(order, n_fix):
        created[i] = min(created[i], last - 200)
        day = int(rng.integers(max(created[i], 0) + 60, last - 30))
        change[i] = day
        rate_before[i] = t[i] * rng.uniform(4.0, 9.0)
        rate_after[i] = t[i] * rng.uniform(0.3, 0.8)
        dom_weight[i] = 0.75
        action, note = _FIX_ACTIONS[_PROBLEM_THEMES[dominant[i]]]
        actions.append((int(i), day, action, note))
    for i in take(order, n_stop):
        created[i] = min(created[i], last - 200)
        stop[i] = int(rng.integers(max(created[i], 0) + 30, last - 120))
    for i in take(order, n_noop):
        created[i] = min(created[i], last - 120)
        day = int(rng.integers(max(created[i], 0) + 20, last - 5))
        action, note = _NOOP_ACTIONS[int(rng.integers(len(_NOOP_ACTIONS)))]
        actions.append((int(i), day, action, note))
    for i in take(order, n_new):
        created[i] = last - int(rng.integers(0, 30))
    actions.sort()
    return _Offers(
        seller=seller,
        sub=sub,
        fba=fba,
        price=price,
        lam=lam,
        beta=beta,
        rate_before=np.minimum(rate_before, 0.6),
        rate_after=np.minimum(rate_after, 0.6),
        change_day=change,
        created=created,
        stop=stop,
        gap_lo=gap_lo,
        gap_hi=gap_hi,
        closed=closed,
        closed_reason=reason,
        reinstated=reinstated,
        deleted=deleted,
        theme_cum=_theme_cum(sub.astype(np.int64), dominant.astype(np.int64), dom_weight),
        dominant=dominant.astype(np.int8),
        quiet=np.zeros(n, dtype=bool),
        kind=kind,
        actions=actions,
    )


def _concat_offers(a: _Offers, b: _Offers) -> _Offers:
    shift = a.n
    merged = {}
    for name in _Offers.__dataclass_fields__:
        if name == "actions":
            continue
        merged[name] = np.concatenate([getattr(a, name), getattr(b, name)])
    actions = a.actions + [(i + shift, d, act, note) for i, d, act, note in b.actions]
    return _Offers(**merged, actions=actions)


# ---------------------------------------------------------------------------------------
# Planting the demo seller's health levels
# ---------------------------------------------------------------------------------------
_PLANT_WINDOW = 90
_PLANT_Z = 1.645
_PRICE_EDGES = np.array([10.0, 25.0, 50.0, 100.0, 250.0])
_SUB_CAT: np.ndarray = np.array([_CATEGORY_NAMES.index(s.category) for s in _CATALOGUE])
# Target interval bound per planted kind, as a multiple of the expected peer rate b:
# ("lo" | "hi", factor). Health rules: very poor lo >= 2b, poor lo > b, excellent hi <= b/2,
# good hi < b (docs/health.md).
_PLANT_TARGET: dict[str, tuple[str, float]] = {
    "excellent": ("hi", 0.3),
    "good": ("hi", 0.75),
    "poor": ("lo", 1.45),
    "very_poor": ("lo", 3.5),
    "insufficient": ("lo", 2.6),
}
# (before, after) true-rate multiples of b for offers whose rate changes or is fixed.
_PLANT_MULT: dict[str, tuple[float, float]] = {
    "closed_ncx": (4.5, 4.5),
    "reinstated": (5.0, 0.7),
    "fixed": (5.0, 0.35),
    "surging": (0.8, 9.0),
}


def _wilson(r: np.ndarray, n: np.ndarray, z: float = _PLANT_Z) -> tuple[np.ndarray, np.ndarray]:
    z2 = z * z
    c = (r + z2 / (2 * n)) / (1 + z2 / n)
    h = z * np.sqrt(r * (1 - r) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return np.maximum(c - h, 0.0), np.minimum(c + h, 1.0)


def _rate_for_bound(target: np.ndarray, n: np.ndarray, side: str) -> np.ndarray:
    """The rate r whose Wilson bound (``side`` "lo" or "hi") over n orders equals target."""
    lo, hi = np.zeros_like(target), np.ones_like(target)
    for _ in range(50):  # both bounds increase with r: bisection
        mid = (lo + hi) / 2
        bound = _wilson(mid, n)[0 if side == "lo" else 1]
        above = bound > target
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    return (lo + hi) / 2


def _window_expectation(
    o: _Offers, idx: np.ndarray, shape: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Expected orders and problem orders (true rate) of offers ``idx`` in the last 90 days."""
    n_days = len(shape)
    days = np.arange(n_days - _PLANT_WINDOW, n_days, dtype=np.int32)
    n_exp = np.empty(len(idx))
    k_exp = np.empty(len(idx))
    for lo in range(0, len(idx), 8_192):
        part = idx[lo : lo + 8_192]
        lam = _intensity(o, part, shape, days)
        rate = np.where(
            days[None, :] < o.change_day[part][:, None],
            o.rate_before[part][:, None],
            o.rate_after[part][:, None],
        )
        n_exp[lo : lo + len(part)] = lam.sum(axis=1)
        k_exp[lo : lo + len(part)] = (lam * rate).sum(axis=1)
    return n_exp * 0.974, k_exp * 0.974  # cancelled lines are not orders


def _expected_peer_rates(
    o: _Offers, n_exp: np.ndarray, k_exp: np.ndarray, targets: np.ndarray
) -> np.ndarray:
    """Peer rate of the offers ``targets`` from per-offer window counts (docs/health.md).

    Offers with (expected) orders in the window are peers; the level is the first
    of (subcategory x price band, subcategory, category, all) holding 20 offers of 6
    sellers; the offer itself is left out.
    """
    frame = pl.DataFrame(
        {
            "offer": np.arange(o.n),
            "seller": o.seller,
            "cat": _SUB_CAT[o.sub],
            "sub": o.sub.astype(np.int32),
            "band": np.searchsorted(_PRICE_EDGES, o.price, side="right"),
            "n": n_exp,
            "k": k_exp,
        }
    ).with_columns(peer=pl.col("n") >= 0.5)
    peers = frame.filter("peer")
    out = (
        frame.filter(pl.col("offer").is_in(targets.tolist()))
        .sort("offer")
        .with_columns(chosen_b=pl.lit(None, dtype=pl.Float64))
    )
    self_n = pl.when(pl.col("peer")).then(pl.col("n")).otherwise(0.0)
    self_k = pl.when(pl.col("peer")).then(pl.col("k")).otherwise(0.0)
    for keys in (["sub", "band"], ["sub"], ["cat"], []):
        agg = [pl.len().alias("g_o"), pl.col("seller").n_unique().alias("g_s"),
               pl.col("n").sum().alias("g_n"), pl.col("k").sum().alias("g_k")]  # fmt: skip
        groups = peers.group_by(keys).agg(agg) if keys else peers.select(agg)
        level = out.join(groups, on=keys, how="left") if keys else out.join(groups, how="cross")
        qualifies = (pl.col("g_o").fill_null(0) >= 20) & (pl.col("g_s").fill_null(0) >= 6)
        b = (pl.col("g_k") - self_k) / (pl.col("g_n") - self_n)
        out = level.select(
            *out.columns[:-1],
            chosen_b=pl.when(pl.col("chosen_b").is_null() & (qualifies | (not keys)))
            .then(b)
            .otherwise(pl.col("chosen_b")),
        )
    b = out["chosen_b"].fill_null(0.0).fill_nan(0.0).to_numpy()
    return np.maximum(b, 0.001)


def _calibrate_demo(
    o: _Offers, n_demo: int, shape: np.ndarray, window_n: np.ndarray, window_k: np.ndarray
) -> np.ndarray:
    """Set the demo seller's problem rates against their peer rates (in place).

    ``window_n`` / ``window_k``: the other offers' realised orders and NCX orders in the
    last 90 days. The peer rate ``b`` of each demo offer is what docs/health.md says
    from those plus the demo offers' expected counts. Planted kinds get the rate whose
    90 % Wilson bound over the expected orders hits ``_PLANT_TARGET`` (e.g. poor: low end
    at 1.45 b); fair offers 0.9 b x log-normal(0, 0.12); ``_PLANT_MULT`` kinds fixed
    multiples of b. Iterated because demo offers are each other's peers.
    Returns the peer rates (measured, for diagnostics).
    """
    demo = np.arange(n_demo)
    others = np.arange(n_demo, o.n)
    # Measured NCX rates run below the true problem rates (late returns, cancellations):
    # learn the ratio from the other offers.
    n_exp, k_exp = _window_expectation(o, others, shape)
    measured = float(window_k[others].sum() / max(k_exp.sum(), 1e-9))
    kinds = np.array(_KINDS)[o.kind[demo]]
    spread = o.rate_before[demo] / np.array([_CATALOGUE[s].typical_rate for s in o.sub[demo]])
    b = np.zeros(n_demo)
    n_all = window_n.astype(float).copy()
    k_all = window_k.astype(float).copy()
    for _ in range(4):
        n_d, k_d = _window_expectation(o, demo, shape)
        n_all[demo] = n_d
        k_all[demo] = k_d * measured
        b = _expected_peer_rates(o, n_all, k_all, demo)
        before = 0.9 * b * spread / measured  # fair: a little under the peers
        after = before.copy()
        for kind, (side, factor) in _PLANT_TARGET.items():
            m = kinds == kind
            r = _rate_for_bound(factor * b[m], np.maximum(n_d[m], 1.0), side) / measured
            before[m] = after[m] = r
        for kind, (f_before, f_after) in _PLANT_MULT.items():
            m = kinds == kind
            before[m] = f_before * b[m] / measured
            after[m] = f_after * b[m] / measured
        o.rate_before[demo] = np.minimum(before, 0.6)
        o.rate_after[demo] = np.minimum(after, 0.6)
    return b


# ---------------------------------------------------------------------------------------
# Offer attributes: SKU, ASIN, title, brand
# ---------------------------------------------------------------------------------------
_ALNUM = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)


def _random_codes(rng: np.random.Generator, n: int, length: int) -> list[str]:
    codes = _ALNUM[rng.integers(0, 36, size=(n, length))]
    return codes.view(f"S{length}").ravel().astype(str).tolist()


def _unique_asins(rng: np.random.Generator, n: int, taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        for code in _random_codes(rng, n - len(out), 8):
            asin = "B0" + code
            if asin not in taken:
                taken.add(asin)
                out.append(asin)
    return out


def _initials(name: str) -> str:
    letters = "".join(w[0] for w in name.replace("&", " ").split() if w[0].isalpha())
    return (letters + "X")[:2].upper()


def _offer_attributes(
    offers: _Offers, seller_ids: list[str], rng: np.random.Generator, taken_asins: set[str]
) -> dict[str, list]:
    """SKU, ASIN, title and brand per offer (one Python pass over offers, not orders)."""
    n = offers.n
    asins = _unique_asins(rng, n, taken_asins)
    u = rng.random((n, 6))
    style = rng.integers(0, 4, len(seller_ids))
    auto = _random_codes(rng, n, 10)
    skus, titles, brands = [], [], []
    counters: dict[int, int] = {}
    seen_by_sub: dict[int, list[int]] = {}
    used: set[tuple[int, str]] = set()
    for i in range(n):
        s = int(offers.seller[i])
        sub = _CATALOGUE[int(offers.sub[i])]
        sid = seller_ids[s]
        k = counters[s] = counters.get(s, 0) + 1
        if s == 0:
            sku = f"NW-{sub.code}-{k:03d}"
            brand = (
                "Northwind" if u[i, 0] < 0.85 else _pick(_CATEGORIES[sub.category].brands, u[i, 1])
            )
        else:
            st = int(style[s])
            if st == 0:
                sku = f"{_initials(SELLER_NAMES[sid])}-{sub.code}-{k:04d}"
            elif st == 1:
                a = auto[i]
                sku = f"{a[:2]}-{a[2:6]}-{a[6:]}"
            elif st == 2:
                sku = f"{sub.code.lower()}{k:05d}"
            else:
                sku = f"{_initials(SELLER_NAMES[sid])}{k:05d}-{'ABCD'[k % 4]}"
            brand = (
                _SELLER_BRANDS[sid]
                if u[i, 0] < 0.55
                else _pick(_CATEGORIES[sub.category].brands, u[i, 1])
            )
        while (s, sku) in used:  # auto-generated SKUs could collide in theory
            sku += "X"
        used.add((s, sku))
        name, *variants = _pick(sub.products, u[i, 2]).split("|")
        variant = _pick(tuple(variants), u[i, 3])
        pack = _pick(sub.packs, u[i, 4])
        title = f"{brand} {name} {variant}" + (f", {pack}" if pack else "")
        # Resellers: some other sellers' offers list an existing product (same ASIN).
        peers = seen_by_sub.setdefault(int(offers.sub[i]), [])
        if s != 0 and peers and u[i, 5] < 0.08:
            j = peers[int(u[i, 5] / 0.08 * len(peers))]
            if int(offers.seller[j]) != s:
                asins[i], title, brand = asins[j], titles[j], brands[j]
        peers.append(i)
        skus.append(sku)
        titles.append(title)
        brands.append(brand)
    return {"sku": skus, "asin": asins, "title": titles, "brand": brands}


def _pick(options: tuple[str, ...], u: float) -> str:
    return options[min(int(u * len(options)), len(options) - 1)]


# ---------------------------------------------------------------------------------------
# Order lines
# ---------------------------------------------------------------------------------------
_STATUSES: tuple[str, ...] = ("shipped", "pending", "cancelled")
_HOUR_W = np.array(
    [5, 4, 3, 2, 1.5, 1.2, 1, 1, 1.2, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5, 5, 5.5, 6, 6, 6, 5.5]
)
_HOUR_P = _HOUR_W / _HOUR_W.sum()
_DAY_US = 86_400_000_000


@dataclass
class _Lines:
    offer: np.ndarray  # int32 offer number
    day: np.ndarray  # int32 day number
    us: np.ndarray  # int64 microseconds since the span start
    group: np.ndarray  # int64 global order number
    quantity: np.ndarray  # int32
    status: np.ndarray  # int8 index into _STATUSES
    own: np.ndarray  # bool sold_by_seller


def _intensity(o: _Offers, idx: np.ndarray, shape: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Expected order lines per (offer in ``idx``, day in ``days``): demand x lifecycle."""
    n_days = len(shape)
    dd = days[None, :]
    a = np.maximum(o.created[idx], 0)[:, None]
    active = (dd >= a) & (dd < o.stop[idx][:, None])
    active &= ~((dd >= o.gap_lo[idx][:, None]) & (dd < o.gap_hi[idx][:, None]))
    # New listings ramp up over ~6 weeks.
    ramp = np.clip(0.25 + (dd - o.created[idx][:, None]) / 45.0, 0.0, 1.0)
    drift = np.exp(o.beta[idx][:, None] * (dd - (n_days - 1)) / 365.0)
    return o.lam[idx][:, None] * shape[days][None, :] * drift * ramp * active


def _chunk_lines(
    o: _Offers, idx: np.ndarray, shape: np.ndarray, rng: np.random.Generator, group_base: int
) -> _Lines:
    """Order lines of the offers ``idx`` (whole sellers, sorted by seller)."""
    n_days = len(shape)
    lam = _intensity(o, idx, shape, np.arange(n_days, dtype=np.int32))
    counts = rng.poisson(lam)
    rows, days = np.nonzero(counts)
    reps = counts[rows, days]
    offer = np.repeat(idx[rows], reps).astype(np.int32)
    day = np.repeat(days, reps).astype(np.int32)
    m = len(offer)
    hour = rng.choice(24, size=m, p=_HOUR_P)
    sec = hour * 3600 + rng.integers(0, 3600, m)
    seller = o.seller[offer]
    srt = np.argsort((seller.astype(np.int64) * n_days + day) * 86_400 + sec, kind="stable")
    offer, day, sec, seller = offer[srt], day[srt], sec[srt], seller[srt]
    # Multi-line orders: a line joins the previous line's order (same seller, same day,
    # another SKU); at most three lines per order.
    cand = np.zeros(m, dtype=bool)
    if m > 2:
        cand[1:] = (seller[1:] == seller[:-1]) & (day[1:] == day[:-1]) & (offer[1:] != offer[:-1])
        cand[2:] &= offer[2:] != offer[:-2]
        cand &= rng.random(m) < 0.12
    join = cand.copy()
    join[2:] &= ~(cand[1:-1] & cand[:-2])
    head = np.maximum.accumulate(np.where(join, 0, np.arange(m)))
    sec = sec[head]
    group = np.cumsum(~join) - 1 + group_base
    n_groups = int(group[-1] - group_base + 1) if m else 0
    # Status: whole orders cancelled (2.2 %) or single lines (0.4 %); recent ones pending.
    g_local = group - group_base
    g_cancel = rng.random(n_groups) < 0.022
    g_pending_u = rng.random(n_groups)
    cancelled = g_cancel[g_local] | (rng.random(m) < 0.004)
    age = (n_days - 1) - day
    pend_p = np.select([age == 0, age == 1, age == 2], [0.7, 0.35, 0.12], 0.0)
    pending = g_pending_u[g_local] < pend_p
    status = np.where(cancelled, 2, np.where(pending, 1, 0)).astype(np.int8)
    quantity = rng.choice(
        np.array([1, 2, 3, 4], dtype=np.int32), size=m, p=[0.88, 0.08, 0.03, 0.01]
    )
    own = ~(o.fba[offer] & (rng.random(m) < 0.03))
    us = (day.astype(np.int64) * 86_400 + sec) * 1_000_000
    return _Lines(offer, day, us, group.astype(np.int64), quantity, status, own)


# ---------------------------------------------------------------------------------------
# Feedback events
# ---------------------------------------------------------------------------------------
@dataclass
class _Events:
    line: list[np.ndarray] = field(default_factory=list)  # index into the chunk's lines
    source: list[np.ndarray] = field(default_factory=list)
    pool: list[np.ndarray] = field(default_factory=list)  # comment pool, -1 = no comment
    reason: list[np.ndarray] = field(default_factory=list)  # -1 = NULL
    rating: list[np.ndarray] = field(default_factory=list)  # 0 = NULL
    has_order: list[np.ndarray] = field(default_factory=list)
    lag: list[np.ndarray] = field(default_factory=list)  # whole days after purchase
    counted: list[np.ndarray] = field(default_factory=list)
    blank: list[np.ndarray] = field(default_factory=list)  # may be left empty (0/1/2)

    def add(self, line, source, pool, reason, rating, has_order, lag, counted, blank) -> None:
        k = len(line)
        if k == 0:
            return

        def full(v, dtype):
            return np.broadcast_to(np.asarray(v, dtype=dtype), (k,)).copy()

        self.line.append(np.asarray(line, dtype=np.int64))
        self.source.append(full(source, np.int8))
        self.pool.append(full(pool, np.int16))
        self.reason.append(full(reason, np.int16))
        self.rating.append(full(rating, np.int8))
        self.has_order.append(full(has_order, bool))
        self.lag.append(full(lag, np.int32))
        self.counted.append(full(counted, bool))
        self.blank.append(full(blank, np.int8))

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            name: np.concatenate(getattr(self, name))
            for name in ("line", "source", "pool", "reason", "rating", "has_order", "lag",
                         "counted", "blank")
        }  # fmt: skip


# comment "blank" modes
_ALWAYS, _MAYBE_EMPTY, _MAYBE_NULL = 0, 1, 2


def _lag(
    rng: np.random.Generator, k: int, lo: int, hi: int, shape: float, scale: float
) -> np.ndarray:
    return np.minimum(lo + np.floor(rng.gamma(shape, scale, k)), hi).astype(np.int32)


def _choose(rng: np.random.Generator, table: tuple[tuple, ...], k: int) -> np.ndarray:
    """Reason indices (-1 = NULL) drawn from a (code, weight) table."""
    codes = np.array([-1 if c is None else _R[c] for c, _ in table], dtype=np.int16)
    w = np.array([p for _, p in table], dtype=float)
    return codes[rng.choice(len(codes), size=k, p=w / w.sum())]


def _chunk_events(o: _Offers, lines: _Lines, rng: np.random.Generator) -> _Events:
    """Feedback events for the shipped lines of one chunk (vectorised per event kind).

    Problems (counted) per line with the offer's rate on the purchase day (x1.5 for
    commingled units); delivery (0.6 % FBA, 1.4 % MFN) and remorse (per category) events;
    2-5 star reviews (3 %) and seller feedback (1.5-2.5 %). Lags are whole days after the
    purchase day: returns 2-30, refunds 3-35, contacts 1-20, reviews 3-40, seller
    feedback 2-30. Events later than the last day are dropped by the caller.

    So that every event survives the Seller Central reports with its meaning: refunds are
    problems only and carry neither reason nor comment (settlement report); contacts are
    FBA replacements, so an MFN offer's share of them goes to returns; delivery and remorse
    contacts always carry a deciding replacement code (1, 3, 5, 6, 9, 11 / 12).
    """
    ev = _Events()
    shipped = np.flatnonzero(lines.status == 0)
    off = lines.offer[shipped]
    day = lines.day[shipped]
    sub = o.sub[off]
    cat = np.array([_CATEGORY_NAMES.index(s.category) for s in _CATALOGUE])[sub]
    fba = o.fba[off]
    quiet = o.quiet[off]
    powered = np.array([s.powered for s in _CATALOGUE])[sub]
    clothing = cat == _CATEGORY_NAMES.index(_CL)
    rate = np.where(day < o.change_day[off], o.rate_before[off], o.rate_after[off])
    rate = rate * np.where(lines.own[shipped], 1.0, 1.5)
    remorse_rate = np.array([_CATEGORIES[c].remorse_rate for c in _CATEGORY_NAMES])[cat]
    delivery_rate = np.where(fba, 0.006, 0.014)
    u = rng.random(len(shipped))
    is_problem = u < rate
    is_delivery = ~is_problem & (u < rate + delivery_rate)
    is_remorse = ~is_problem & ~is_delivery & (u < rate + delivery_rate + remorse_rate)

    # --- product and listing problems (the counted events) -----------------------------
    p = np.flatnonzero(is_problem)
    theme = (o.theme_cum[off[p]] < rng.random(len(p))[:, None]).sum(axis=1)
    theme = np.minimum(theme, len(_PROBLEM_THEMES) - 1)
    pool = np.where(powered[p], 0, 1) + 2 * theme
    # Primary source: return 55 %, refund 12 %, contact 13 % (MFN offers: return),
    # one-star review 20 %; quiet offers (insufficient feedback) only return / refund
    # without comments.
    src = rng.choice(4, size=len(p), p=[0.55, 0.12, 0.13, 0.20])
    src = np.where(quiet[p], np.where(rng.random(len(p)) < 0.8, _RETURN, _REFUND), src)
    src = np.where((src == _CONTACT) & ~fba[p], _RETURN, src)  # replacements: FBA only
    no_comment = quiet[p]
    for s in (_RETURN, _REFUND, _CONTACT, _REVIEW):
        sel = src == s
        if not sel.any():
            continue
        lines_s = shipped[p[sel]]
        th = theme[sel]
        k = int(sel.sum())
        reason = np.full(k, -1, dtype=np.int16)
        if s in (_RETURN, _CONTACT):
            table = _RETURN_REASONS if s == _RETURN else _CONTACT_REASONS
            for t_i, t_name in enumerate(_PROBLEM_THEMES):
                m = th == t_i
                if m.any():
                    reason[m] = _choose(rng, table[t_name], int(m.sum()))
            if s == _RETURN:
                # Apparel codes only for clothing; FC damage only for FBA; the bad-description
                # code only in merchant-fulfilled returns.
                fit = np.isin(reason, [_R["APPAREL_TOO_SMALL"], _R["APPAREL_TOO_LARGE"]])
                reason[fit & ~clothing[p[sel]]] = _R["POOR_FIT"]
                reason[(reason == _R["DAMAGED_BY_FC"]) & ~fba[p[sel]]] = _R["OTHER"]
                reason[(reason == _R["AMZ-PG-BAD-DESC"]) & fba[p[sel]]] = _R["NOT_AS_DESCRIBED"]
                part = reason == _R["PART_NOT_COMPATIBLE"]
                reason[part & (cat[p[sel]] != _CATEGORY_NAMES.index(_AU))] = _R["NOT_COMPATIBLE"]
        blank = np.full(k, _MAYBE_EMPTY, dtype=np.int8)
        pl_ = np.where(no_comment[sel], -1, pool[sel])
        if s == _RETURN:
            pl_ = np.where(fba[p[sel]], pl_, -1)  # merchant returns carry no comment
            lag = _lag(rng, k, 2, 30, 2.0, 4.0)
        elif s == _REFUND:
            pl_ = np.full(k, -1, dtype=np.int16)  # the settlement report has no comment
            lag = _lag(rng, k, 3, 35, 2.0, 4.0)
        elif s == _CONTACT:
            lag = _lag(rng, k, 1, 20, 1.5, 3.0)
        else:
            lag = _lag(rng, k, 3, 40, 1.6, 6.0)
        has_order = np.ones(k, dtype=bool) if s != _REVIEW else rng.random(k) < 0.3
        rating = 1 if s == _REVIEW else 0
        ev.add(lines_s, s, pl_, reason, rating, has_order, lag, True, blank)
        if s == _RETURN:
            # The settlement refund of some returns: no reason, no comment.
            r = rng.random(k) < 0.15
            ev.add(lines_s[r], _REFUND, -1, -1, 0, True, lag[r] + rng.integers(0, 4, int(r.sum())),
                   True, _ALWAYS)  # fmt: skip
    # Some unhappy customers also leave a one-star review.
    extra = (src != _REVIEW) & ~quiet[p] & (rng.random(len(p)) < 0.12)
    k = int(extra.sum())
    ev.add(shipped[p[extra]], _REVIEW, pool[extra], -1, 1, rng.random(k) < 0.3,
           _lag(rng, k, 3, 40, 1.6, 6.0), True, _MAYBE_EMPTY)  # fmt: skip

    # --- delivery problems (not counted) -------------------------------------------------
    # Never refunds (the settlement report could not tell them from problems): returns,
    # which carry a deciding reason code; contacts only on FBA offers.
    d = np.flatnonzero(is_delivery)
    src = rng.choice(5, size=len(d), p=[0.55, 0.0, 0.2, 0.15, 0.1])
    src = np.where(quiet[d], np.where(rng.random(len(d)) < 0.7, _RETURN, _SELLER_FB), src)
    src = np.where((src == _CONTACT) & ~fba[d], _RETURN, src)
    for s in range(5):
        sel = src == s
        k = int(sel.sum())
        if k == 0:
            continue
        lines_s = shipped[d[sel]]
        if s == _RETURN:
            carrier = rng.random(k) < 0.3
            reason = np.where(
                carrier, _R["DAMAGED_BY_CARRIER"], _choose(rng, _RETURN_REASONS["delivery"], k)
            )
            pl_ = np.where(carrier, _P["carrier"], _P["delivery"])
            pl_ = np.where(fba[d[sel]], pl_, -1)
            ev.add(
                lines_s, s, pl_, reason, 0, True, _lag(rng, k, 2, 30, 2.0, 4.0), False, _MAYBE_NULL
            )
        elif s == _CONTACT:
            reason = _choose(rng, _CONTACT_REASONS["delivery"], k)
            ev.add(
                lines_s,
                s,
                _P["delivery"],
                reason,
                0,
                True,
                _lag(rng, k, 2, 20, 1.5, 3.0),
                False,
                _ALWAYS,
            )
        elif s == _REVIEW:
            ev.add(lines_s, s, _P["delivery"], -1, 1, rng.random(k) < 0.3,
                   _lag(rng, k, 3, 40, 1.6, 6.0), False, _ALWAYS)  # fmt: skip
        else:
            rating = rng.choice(np.array([1, 2], dtype=np.int8), size=k, p=[0.7, 0.3])
            ev.add(
                lines_s,
                s,
                _P["sf_neg"],
                -1,
                rating,
                True,
                _lag(rng, k, 2, 30, 1.5, 5.0),
                False,
                _MAYBE_NULL,
            )

    # --- remorse (not counted) -----------------------------------------------------------
    # As for delivery: no refunds; contacts (code 12) only on FBA offers.
    r = np.flatnonzero(is_remorse)
    src = rng.choice(3, size=len(r), p=[0.95, 0.0, 0.05])
    src = np.where(quiet[r] | ((src == _CONTACT) & ~fba[r]), _RETURN, src)
    for s in (_RETURN, _CONTACT):
        sel = src == s
        k = int(sel.sum())
        if k == 0:
            continue
        lines_s = shipped[r[sel]]
        if s == _RETURN:
            reason = _choose(rng, _RETURN_REASONS["remorse"], k)
            style = np.isin(reason, [_R["APPAREL_STYLE"], _R["DID_NOT_LIKE_FABRIC"]])
            reason[style & ~clothing[r[sel]]] = _R["UNWANTED_ITEM"]
            pl_ = np.where(fba[r[sel]], _P["remorse"], -1)
            ev.add(
                lines_s, s, pl_, reason, 0, True, _lag(rng, k, 2, 30, 2.0, 5.0), False, _MAYBE_NULL
            )
        else:
            ev.add(
                lines_s,
                s,
                _P["remorse"],
                _R["12"],
                0,
                True,
                _lag(rng, k, 1, 20, 1.5, 3.0),
                False,
                _ALWAYS,
            )

    # --- reviews of 2-5 stars and seller feedback (never counted) ------------------------
    v = np.flatnonzero(~is_problem & (rng.random(len(shipped)) < 0.03))
    k = len(v)
    rating = rng.choice(np.array([5, 4, 3, 2], dtype=np.int8), size=k, p=[0.55, 0.25, 0.12, 0.08])
    pl_ = np.where(rating >= 4, _P["review_pos"], _P["review_mixed"])
    ev.add(shipped[v], _REVIEW, pl_, -1, rating, rng.random(k) < 0.2, _lag(rng, k, 3, 40, 1.6, 6.0),
           False, _MAYBE_NULL)  # fmt: skip
    sf_p = np.where(fba, 0.015, 0.025)
    f = np.flatnonzero(~is_delivery & (rng.random(len(shipped)) < sf_p))
    k = len(f)
    rating = rng.choice(
        np.array([5, 4, 3, 2, 1], dtype=np.int8), size=k, p=[0.72, 0.14, 0.05, 0.03, 0.06]
    )
    pl_ = np.where(rating >= 4, _P["sf_pos"], _P["sf_neg"])
    ev.add(
        shipped[f],
        _SELLER_FB,
        pl_,
        -1,
        rating,
        True,
        _lag(rng, k, 2, 30, 1.5, 5.0),
        False,
        _MAYBE_NULL,
    )
    return ev


# ---------------------------------------------------------------------------------------
# Comments (vectorised with polars)
# ---------------------------------------------------------------------------------------
def _flat(groups: list[list[str]]) -> tuple[list[str | None], np.ndarray, np.ndarray]:
    texts: list[str | None] = []
    starts, lens = [], []
    for g in groups:
        starts.append(len(texts))
        lens.append(len(g))
        texts.extend(x if x else None for x in g)
    return texts, np.array(starts), np.array(lens)


def _comments(
    pool: np.ndarray, blank: np.ndarray, sub: np.ndarray, rng: np.random.Generator
) -> pl.Series:
    """Comment text per event from its pool: opener + core + closer, with the product's
    name, some typos, some ALL CAPS and some left empty (NULL, "" or blanks)."""
    k = len(pool)
    has = pool >= 0
    safe_pool = np.where(has, pool, 0)
    cores, c_start, c_len = _flat([_pool_cores(key) for key in _POOLS])
    tones_o = list(_OPENERS)
    tones_c = list(_CLOSERS)
    openers, o_start, o_len = _flat([list(_OPENERS[t]) for t in tones_o])
    closers, x_start, x_len = _flat([list(_CLOSERS[t]) for t in tones_c])
    pool_o = np.array([tones_o.index(_POOL_TONE[key.partition("/")[0]][0]) for key in _POOLS])
    pool_c = np.array([tones_c.index(_POOL_TONE[key.partition("/")[0]][1]) for key in _POOLS])
    u = rng.random((k, 6))
    core_i = c_start[safe_pool] + (u[:, 0] * c_len[safe_pool]).astype(np.int64)
    oi = pool_o[safe_pool]
    open_i = o_start[oi] + (u[:, 1] * o_len[oi]).astype(np.int64)
    ci = pool_c[safe_pool]
    close_i = x_start[ci] + (u[:, 2] * x_len[ci]).astype(np.int64)
    # Which comments are left empty: NULL, "" or blanks (only where the pool allows it).
    # Events without a pool (no comment column in their report) are always NULL.
    v = u[:, 5]
    null = ~has | ((blank == _MAYBE_EMPTY) & (v < 0.06)) | ((blank == _MAYBE_NULL) & (v < 0.07))
    empty = has & (blank == _MAYBE_EMPTY) & (v >= 0.06) & (v < 0.08)
    spaces = has & (blank == _MAYBE_EMPTY) & (v >= 0.08) & (v < 0.09)
    rows = np.flatnonzero(~(null | empty | spaces))
    items = pl.Series([s.item for s in _CATALOGUE])
    devices = pl.Series([s.device or "device" for s in _CATALOGUE])
    text = pl.select(
        pl.concat_str(
            [
                pl.lit(pl.Series(openers, dtype=pl.String).gather(open_i[rows])),
                pl.lit(pl.Series(cores, dtype=pl.String).gather(core_i[rows])),
                pl.lit(pl.Series(closers, dtype=pl.String).gather(close_i[rows])),
            ],
            separator=" ",
            ignore_nulls=True,
        )
        .str.replace_all("{item}", pl.lit(items.gather(sub[rows])), literal=True)
        .str.replace_all("{device}", pl.lit(devices.gather(sub[rows])), literal=True)
    ).to_series()
    # Typos (10 %) and ALL CAPS (3 %), applied to those rows only.
    typo = np.flatnonzero(u[rows, 3] < 0.1)
    fixed = text.gather(typo)
    for right, wrong in _TYPOS:
        fixed = fixed.str.replace(right, wrong, literal=True)
    text = text.scatter(typo, fixed)
    caps = np.flatnonzero(u[rows, 4] < 0.03)
    text = text.scatter(caps, text.gather(caps).str.to_uppercase().str.replace(r"\.$", "!!!"))
    out = pl.repeat(None, k, dtype=pl.String, eager=True).alias("comment").scatter(rows, text)
    out = out.scatter(np.flatnonzero(empty), "") if empty.any() else out
    return out.scatter(np.flatnonzero(spaces), "   ") if spaces.any() else out


# ---------------------------------------------------------------------------------------
# Assembly
# ---------------------------------------------------------------------------------------
def _order_ids(group: np.ndarray) -> pl.Expr:
    """Amazon-style order ids "11x-xxxxxxx-xxxxxxx" from distinct order numbers (< 10^14).

    The two 7-digit halves go through a 4-round Feistel network mod 10^7, a bijection, so
    distinct numbers give distinct ids that look random.
    """
    m = 10_000_000
    left, right = group // m, group % m
    for key in (1_234_567, 7_654_321, 2_718_281, 3_141_592):
        mix = (((right * right + key) % m) * 7_919 + right * 104_729 + key) % m
        left, right = right, (left + mix) % m
    prefix = 111 + (left % 4)
    return pl.concat_str(
        [
            pl.lit(pl.Series(prefix)).cast(pl.String),
            pl.lit("-"),
            pl.lit(pl.Series(left)).cast(pl.String).str.zfill(7),
            pl.lit("-"),
            pl.lit(pl.Series(right)).cast(pl.String).str.zfill(7),
        ]
    )


def _dates(days: np.ndarray, start: date, valid: np.ndarray | None = None) -> pl.Series:
    """Day numbers (0 = ``start``) as a Date series; NULL where ``valid`` is False."""
    epoch = (start - date(1970, 1, 1)).days
    values = pl.Series(days.astype(np.int64) + epoch, dtype=pl.Int64).cast(pl.Int32)
    if valid is not None:
        values = pl.select(pl.when(pl.lit(pl.Series(valid))).then(pl.lit(values))).to_series()
    return values.cast(pl.Date)


def _run_chunk(
    o: _Offers, idx: np.ndarray, shape: np.ndarray, rng: np.random.Generator, group_base: int
) -> tuple[_Lines, dict[str, np.ndarray]]:
    """Order lines and feedback events (dated on or before the last day) of offers ``idx``."""
    n_days = len(shape)
    lines = _chunk_lines(o, idx, shape, rng, group_base)
    ev = _chunk_events(o, lines, rng).arrays()
    ev_day = lines.day[ev["line"]] + ev["lag"]
    keep = ev_day <= n_days - 1
    ev = {k: v[keep] for k, v in ev.items()}
    ev["day"] = ev_day[keep]
    ev["us"] = ev["day"].astype(np.int64) * _DAY_US + rng.integers(0, _DAY_US, len(ev["day"]))
    ev["us"] -= ev["us"] % 1_000_000  # whole seconds, as the reports write them
    ev["offer"] = lines.offer[ev["line"]]
    ev["group"] = lines.group[ev["line"]]
    ev["fc"] = np.where(
        o.fba[ev["offer"]] & np.isin(ev["source"], [_RETURN, _CONTACT]),
        rng.integers(0, len(_FULFILMENT_CENTERS), len(ev["day"])),
        -1,
    )
    srt = np.lexsort((ev["source"], ev["offer"], ev["us"]))
    return lines, {k: v[srt] for k, v in ev.items()}


def _window_counts(
    lines: _Lines, ev: dict[str, np.ndarray], n_days: int, n_out: np.ndarray, k_out: np.ndarray
) -> None:
    """Add each offer's orders and NCX orders of the last 90 days (docs/health.md, as of the
    last day, planted counted flags) to ``n_out`` / ``k_out``."""
    first = n_days - _PLANT_WINDOW
    in_window = (lines.day >= first) & (lines.status != _STATUSES.index("cancelled"))
    n_out += np.bincount(lines.offer[in_window], minlength=len(n_out))
    counted = ev["counted"]
    ncx_line = np.zeros(len(lines.offer), dtype=bool)
    ncx_line[ev["line"][counted & ev["has_order"]]] = True
    ncx_line &= in_window
    no_order = counted & ~ev["has_order"] & (ev["day"] >= first)
    k_out += np.bincount(lines.offer[ncx_line], minlength=len(k_out))
    k_out += np.bincount(ev["offer"][no_order], minlength=len(k_out))


_CHUNK_OFFERS = 4_000  # a chunk holds whole sellers of at least this many offers


@dataclass(frozen=True)
class DemoChunk:
    """The order lines and feedback events of one chunk of whole sellers.

    ``number``: the chunk's place in the data (0 = the featured demo seller; the tables
    of ``generate`` are the chunks concatenated in number order). ``feedback`` has every
    column of ``_SCHEMAS["feedback"]`` but ``feedback_id``: ids number the events of all
    chunks in number order, ``feedback_ids(first)`` gives this chunk's given the number of
    events of the chunks before it. ``counted``: the planted counted flag per feedback row.
    """

    number: int
    offers: int
    orders: pl.DataFrame
    feedback: pl.DataFrame
    counted: np.ndarray


def feedback_id_sql(row: str) -> str:
    """SQL (DuckDB) for the feedback id of the 0-based event number ``row`` (a trusted
    expression): ``F`` and 9 digits, as ``generate`` numbers them."""
    return f"printf('F%09d', ({row}) + 1)"


class DemoStream:
    """The demo marketplace as a stream of chunks (``stream``): ``offers`` and ``actions``
    whole (one row per offer, small), order lines and feedback one chunk at a time.

    ``chunks()`` generates the chunks once, in generation order: every chunk of other
    sellers (1, 2, ..., ``n_chunks - 1``), then chunk 0, the demo seller, planted
    against the others' realised NCX rates. Only the chunk being generated is held, so a
    consumer that writes each chunk away holds about one chunk's frames. Numbering the
    feedback of chunks in number order (``feedback_id_sql``) gives ``generate``'s tables.
    """

    def __init__(self, scale: float, seed: int, end: date, chunk_offers: int) -> None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        start = _span_start(end)
        self._n_days = (end - start).days + 1
        n_sellers = int(min(max(round(59 * scale), 59), len(SELLER_NAMES) - 1))
        n_other = max(int(round(4_900 * scale)), n_sellers)
        seller_ids = list(SELLER_NAMES)[: n_sellers + 1]
        base = np.random.SeedSequence(seed)
        demo_ss, other_ss, shape_ss, attr_ss, comment_ss, chunk_ss = base.spawn(6)

        self._shape = _daily_shape(start, self._n_days, np.random.default_rng(shape_ss))
        demo = _demo_plan(self._n_days, np.random.default_rng(demo_ss))
        others = _others_plan(n_other, n_sellers, self._n_days, np.random.default_rng(other_ss))
        self._offers = offers = _concat_offers(demo, others)
        self._n_demo = demo.n

        demo_attr_rng, other_attr_rng = (np.random.default_rng(s) for s in attr_ss.spawn(2))
        taken: set[str] = set()
        demo_attr = _offer_attributes(demo, seller_ids, demo_attr_rng, taken)
        other_attr = _offer_attributes(others, seller_ids, other_attr_rng, taken)
        attr = {k: demo_attr[k] + other_attr[k] for k in demo_attr}
        self._ctx = ctx = _FrameContext(
            start_us=(start - date(1970, 1, 1)).days * _DAY_US,
            seller_of_offer=pl.Series(seller_ids, dtype=pl.String).gather(offers.seller),
            sku=pl.Series(attr["sku"], dtype=pl.String),
            sub=offers.sub.astype(np.int64),
        )

        # Chunks of whole sellers of at least ``chunk_offers`` offers; the demo seller is
        # chunk 0.
        bounds = [0, demo.n]
        seller_start = np.flatnonzero(np.diff(offers.seller[demo.n :], prepend=-1)) + demo.n
        for s0 in seller_start:
            if s0 - bounds[-1] >= chunk_offers:
                bounds.append(int(s0))
        if bounds[-1] != offers.n:
            bounds.append(offers.n)
        self._bounds = bounds
        self.n_chunks = len(bounds) - 1
        self._chunk_rngs = [np.random.default_rng(s) for s in chunk_ss.spawn(self.n_chunks)]
        self._comment_rngs = [np.random.default_rng(s) for s in comment_ss.spawn(self.n_chunks)]
        self.n_offers = offers.n

        # The offers' rows do not depend on the chunks (calibration sets problem rates).
        self.offers = _offers_frame(offers, attr, ctx, start).cast(_SCHEMAS["offers"])
        acts = sorted(offers.actions, key=lambda a: (a[0], a[1]))
        a_idx = np.array([a[0] for a in acts], dtype=np.int64)
        self.actions = pl.DataFrame(
            {
                "seller_id": ctx.seller_of_offer.gather(a_idx),
                "sku": ctx.sku.gather(a_idx),
                "action_date": _dates(np.array([a[1] for a in acts], dtype=np.int64), start),
                "action": [a[2] for a in acts],
                "note": [a[3] for a in acts],
            },
            schema=_SCHEMAS["actions"],
        )
        self.peer_rates: np.ndarray | None = None  # the demo offers', once chunk 0 is made
        self._started = False

    def chunks(self) -> Iterator[DemoChunk]:
        """Generate the chunks (once: a second call raises RuntimeError), others first."""
        if self._started:
            raise RuntimeError("a DemoStream generates its chunks once")
        self._started = True
        offers, n_days, shape = self._offers, self._n_days, self._shape
        # Other sellers first: the demo seller is planted against their realised NCX rates.
        # Order numbers: the demo seller's from 0, the others' from 10^9 (ids stay unique).
        # Each chunk becomes polars frames at once, so numpy intermediates stay small.
        window_n = np.zeros(offers.n)
        window_k = np.zeros(offers.n)
        group_base = 1_000_000_000
        for c in [*range(1, self.n_chunks), 0]:
            if c == 0:
                self.peer_rates = _calibrate_demo(offers, self._n_demo, shape, window_n, window_k)
            idx = np.arange(self._bounds[c], self._bounds[c + 1])
            rng = self._chunk_rngs[c]
            lines, ev = _run_chunk(offers, idx, shape, rng, 0 if c == 0 else group_base)
            if c != 0:
                group_base = int(lines.group[-1]) + 1 if len(lines.group) else group_base
                _window_counts(lines, ev, n_days, window_n, window_k)
            chunk = DemoChunk(
                number=c,
                offers=len(idx),
                orders=_orders_frame(lines, self._ctx).cast(_SCHEMAS["orders"]),
                feedback=_feedback_frame(ev, self._ctx, self._comment_rngs[c], xss=c == 1).cast(
                    {k: v for k, v in _SCHEMAS["feedback"].items() if k != "feedback_id"}
                ),
                counted=ev["counted"],
            )
            del lines, ev
            yield chunk

    def truth(self) -> _Truth:
        """What was planted, once ``chunks()`` is exhausted (``counted`` left empty)."""
        if self.peer_rates is None:
            raise RuntimeError("the truth is known once every chunk is generated")
        o = self._offers
        return _Truth(
            offer_kind=pl.DataFrame(
                {
                    "seller_id": self.offers["seller_id"],
                    "sku": self.offers["sku"],
                    "kind": pl.Series(_KINDS).gather(o.kind),
                    "subcategory": self.offers["subcategory"],
                    "theme": pl.Series(_PROBLEM_THEMES).gather(np.maximum(o.dominant, 0)),
                    "rate_before": o.rate_before,
                    "rate_after": o.rate_after,
                    "expected_peer_rate": np.concatenate(
                        [self.peer_rates, np.full(o.n - self._n_demo, np.nan)]
                    ),
                }
            ),
            counted=pl.Series("counted", [], dtype=pl.Boolean),
        )


def stream(
    scale: float = 1.0, seed: int = 7, end: date = DEMO_END, *, chunk_offers: int = _CHUNK_OFFERS
) -> DemoStream:
    """The demo marketplace of ``generate(scale, seed, end)`` as a stream of chunks, for
    data too big to hold (see ``DemoStream``). ``chunk_offers`` (tests) sets the chunk
    size, which changes the data: only the default gives ``generate``'s.
    Raises ``ValueError`` for a scale that is not positive."""
    return DemoStream(scale, seed, end, chunk_offers)


def _generate(
    scale: float, seed: int, end: date, *, chunk_offers: int = _CHUNK_OFFERS
) -> tuple[DemoData, _Truth]:
    """``generate`` plus what was planted (per-offer kinds, per-event counted flags): the
    stream's chunks concatenated in number order."""
    source = stream(scale, seed, end, chunk_offers=chunk_offers)
    parts = sorted(source.chunks(), key=lambda chunk: chunk.number)
    feedback = pl.concat([p.feedback for p in parts], rechunk=False)
    feedback_id = (
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
        .cast(pl.String)
        .str.zfill(9)
        .str.pad_start(10, "F")
    )
    data = DemoData(
        offers=source.offers,
        orders=pl.concat([p.orders for p in parts], rechunk=False).cast(_SCHEMAS["orders"]),
        feedback=feedback.select(feedback_id.alias("feedback_id"), pl.all()).cast(
            _SCHEMAS["feedback"]
        ),
        actions=source.actions,
    )
    truth = source.truth()
    truth = _Truth(
        truth.offer_kind, pl.Series("counted", np.concatenate([p.counted for p in parts]))
    )
    return data, truth


@dataclass(frozen=True)
class _FrameContext:
    """What chunk frames need from the offers: seller id and SKU per offer number."""

    start_us: int  # the span start, microseconds since 1970-01-01
    seller_of_offer: pl.Series
    sku: pl.Series
    sub: np.ndarray


def _offers_frame(
    o: _Offers, attr: dict[str, list], ctx: _FrameContext, start: date
) -> pl.DataFrame:
    subs = [_CATALOGUE[s] for s in o.sub]
    return pl.DataFrame(
        {
            "seller_id": ctx.seller_of_offer,
            "sku": ctx.sku,
            "asin": attr["asin"],
            "title": attr["title"],
            "brand": attr["brand"],
            "category": [s.category for s in subs],
            "subcategory": [s.name for s in subs],
            "price": np.round(o.price, 2),
            "fulfilment": np.where(o.fba, "FBA", "MFN"),
            "created_at": _dates(o.created, start),
            "closed_at": _dates(o.closed, start, o.closed != _NONE),
            "closed_reason": [(None, "ncx", "other")[r] for r in o.closed_reason],
            "reinstated_at": _dates(o.reinstated, start, o.reinstated != _NONE),
            "deleted_at": _dates(o.deleted, start, o.deleted != _NONE),
        },
        schema=_SCHEMAS["offers"],
    )


def _orders_frame(lines: _Lines, ctx: _FrameContext) -> pl.DataFrame:
    return pl.select(
        order_id=_order_ids(lines.group),
        seller_id=ctx.seller_of_offer.gather(lines.offer),
        sku=ctx.sku.gather(lines.offer),
        purchase_date=pl.Series(lines.us + ctx.start_us).cast(pl.Datetime("us")),
        quantity=pl.Series(lines.quantity, dtype=pl.Int32),
        status=pl.Series(_STATUSES).gather(lines.status),
        sold_by_seller=pl.Series(lines.own, dtype=pl.Boolean),
        updated_at=pl.lit(None, dtype=pl.Datetime("us")),  # the demo has one version per order
    )


def _feedback_frame(
    ev: dict[str, np.ndarray], ctx: _FrameContext, rng: np.random.Generator, *, xss: bool
) -> pl.DataFrame:
    """Feedback rows of one chunk, without ``feedback_id`` (numbered once all are known)."""
    comments = _french(_comments(ev["pool"], ev["blank"], ctx.sub[ev["offer"]], rng), ev)
    if xss:
        comments = _plant_xss(comments, ev)
    reasons = pl.Series(_REASONS, dtype=pl.String)
    return pl.select(
        seller_id=ctx.seller_of_offer.gather(ev["offer"]),
        sku=ctx.sku.gather(ev["offer"]),
        order_id=pl.when(pl.lit(pl.Series(ev["has_order"]))).then(_order_ids(ev["group"])),
        event_date=pl.Series(ev["us"] + ctx.start_us).cast(pl.Datetime("us")),
        source=pl.Series(_SOURCES).gather(ev["source"]),
        reason_code=pl.when(pl.lit(pl.Series(ev["reason"] >= 0))).then(
            reasons.gather(np.maximum(ev["reason"], 0))
        ),
        rating=pl.when(pl.lit(pl.Series(ev["rating"] > 0))).then(
            pl.lit(pl.Series(ev["rating"], dtype=pl.Int8))
        ),
        comment=comments,
        fulfilment_center=pl.when(pl.lit(pl.Series(ev["fc"] >= 0))).then(
            pl.Series(_FULFILMENT_CENTERS).gather(np.maximum(ev["fc"], 0))
        ),
    )


def _plant_xss(comments: pl.Series, events: dict[str, np.ndarray]) -> pl.Series:
    """Put script/markup into four comments of a chunk of other sellers' offers.

    The UI must render comment text as text; these prove it. They sit on reason-coded
    returns so their classification does not depend on the markup. Deterministic: the
    chunk's first four such returns.
    """
    ok = (
        (events["source"] == _RETURN)
        & (events["reason"] >= 0)
        & (comments.str.strip_chars().str.len_chars().fill_null(0) > 0).to_numpy()
    )
    rows = np.flatnonzero(ok)[:4]
    if len(rows) == 0:
        return comments
    old = comments.gather(rows).to_list()
    new = [f"{text} {_XSS[i % 2]}" for i, text in enumerate(old)]
    return comments.scatter(rows, new)

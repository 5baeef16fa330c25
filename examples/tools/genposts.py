#!/usr/bin/env python3
"""Generate Vigil's synthetic demo posts (examples/posts.jsonl).

Every account, handle, name and post below is invented. Addresses and phone
numbers in the doxing examples are obvious placeholders.

The output is deterministic: the same script always writes the same file
(fixed seed, and only random.random() is used, whose sequence is stable across
Python versions). Standard library only.

    python3 tools/genposts.py            # from examples/: writes posts.jsonl and checks it
    python3 tools/genposts.py --report   # also prints every post's intended label

Zawgyi: a few Burmese posts are written here in Unicode and then converted
to the legacy Zawgyi encoding with Rabbit's ordered uni2zg rules
(tools/rabbit/rabbit-uni2zg.json, WTFPL, from Rabbit-Converter/Rabbit).
Only this script knows which posts those are: in posts.jsonl they are plain
"lang":"my" posts, as they would be when captured. examples_test.go lists
their ids; update it when this script changes them.

After writing, the script checks each post's intended label against a naive
matcher over lexicon.yaml and the account list: harmless posts must match no
flagging term, incitement posts must match one, listed posts must come from
an account on accounts.csv. It is a guard against editing mistakes, not a
second classifier.
"""

import argparse
import csv
import datetime
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.dirname(HERE)

SEED = 20261101
START = datetime.datetime(2026, 11, 1, 0, 0, 0, tzinfo=datetime.timezone.utc)
END = datetime.datetime(2026, 11, 20, 0, 0, 0, tzinfo=datetime.timezone.utc)  # exclusive

# Labels: what a post is meant to be. "listed" posts come from an account on
# accounts.csv, whatever they say; "incite" posts contain a flagging term.
HARMLESS, INCITE, LISTED = "harmless", "incite", "listed"

# Encodings of Burmese text.
UNI, ZG = "unicode", "zawgyi"

# key: (platform, account id, handle, display name). All invented.
AUTHORS = {
    # ordinary and news accounts
    "demo_news_mm": ("x", "4400000001", "demo_news_mm", "Demo News MM"),
    "demo_reporter_1": ("x", "4400000002", "demo_reporter_1", "Demo Reporter One"),
    "demo_football_fan": ("x", "4400000003", "demo_football_fan", "Demo Football Fan"),
    "example_trader_22": ("x", "4400000004", "example_trader_22", "Example Trader 22"),
    "ordinary_user_12": ("x", "4400000005", "ordinary_user_12", "Ordinary User 12"),
    "sample_student_5": ("x", "4400000007", "sample_student_5", "Sample Student 5"),
    "demo_weather_bot": ("x", "4400000008", "demo_weather_bot", "Demo Weather Bot"),
    "example_weather_mm": ("facebook", "100000000000101", "example_weather_mm", "Example Weather MM"),
    "example_foodie_ygn": ("facebook", "100000000000102", "example_foodie_ygn", "Example Foodie"),
    "demo_community_page": ("facebook", "100000000000103", "demo_community_page", "Demo Community Page"),
    "sample_teashop": ("facebook", "100000000000105", "sample_teashop", "Sample Tea Shop"),
    "demo_furniture_shop": ("facebook", "100000000000106", "demo_furniture_shop", "Demo Furniture Shop"),
    "sample_auntie_cooks": ("facebook", "100000000000107", "sample_auntie_cooks", "Sample Auntie Cooks"),
    "sample_market_watch": ("telegram", "-1000000000201", "sample_market_watch", "Sample Market Watch"),
    "demo_local_news_mm": ("telegram", "-1000000000203", "demo_local_news_mm", "Demo Local News MM"),
    "kickoff_fan": ("mastodon", "110000000000301", "kickoff_fan", "Kickoff Fan"),
    "example_translator": ("mastodon", "110000000000302", "example_translator", "Example Translator"),
    "demo_librarian": ("mastodon", "110000000000304", "demo_librarian", "Demo Librarian"),
    # accounts that post incitement but are not on the account list
    "angry_patriot_88": ("x", "4400000006", "angry_patriot_88", "Angry Patriot 88"),
    "demo_nationalist_page": ("facebook", "100000000000104", "demo_nationalist_page", "Demo Nationalist Page"),
    "sample_nationalist_mm": ("facebook", "100000000000108", "sample_nationalist_mm", "Sample Nationalist MM"),
    "demo_rumour_mill": ("telegram", "-1000000000202", "demo_rumour_mill", "Demo Rumour Mill"),
    "demo_purity_channel": ("telegram", "-1000000000204", "demo_purity_channel", "Demo Purity Channel"),
    "troll_account_42": ("mastodon", "110000000000303", "troll_account_42", "Troll Account 42"),
    # accounts on accounts.csv
    "example_general_7": ("x", "4400000901", "example_general_7", "Example General 7"),
    "demo_spokesman_4": ("x", "4400000902", "demo_spokesman_4", "Demo Spokesman 4"),
    "demo_colonel_3": ("x", "4400000903", "demo_colonel_3", "Demo Colonel 3"),
    "demo_lager_brand": ("facebook", "100000000000901", "demo_lager_brand", "Golden Demo Lager"),
    "sample_cement_co": ("facebook", "100000000000902", "sample_cement_co", "Sample Cement"),
    "demo_bank_page": ("facebook", "100000000000903", "demo_bank_page", "Demo Bank"),
    "demo_doxx_channel": ("telegram", "-1000000000901", "demo_doxx_channel", "Demo Doxx Channel"),
    "sample_informer_mm": ("telegram", "-1000000000902", "sample_informer_mm", "Sample Informer MM"),
    "demo_patriot_news": ("telegram", "-1000000000903", "demo_patriot_news", "Demo Patriot News"),
    "example_mouthpiece": ("mastodon", "110000000000901", "example_mouthpiece", "Example Mouthpiece"),
}

ZWSP = "\u200b"

# (author, lang, label, text[, encoding]). Burmese text is written in Unicode
# here; encoding ZG converts it to Zawgyi on output.
POSTS = []


def add(author, lang, label, text, enc=UNI):
    POSTS.append((author, lang, label, text, enc))


# --- English, harmless --------------------------------------------------------
for a, t in [
    ("demo_news_mm", "Power cuts in several townships are expected to ease next week, the utility said on Monday."),
    ("demo_news_mm", "City council approves repairs to the old river bridge; work starts after the rainy season."),
    ("demo_news_mm", "Fuel queues were shorter today at most stations downtown, readers report."),
    ("demo_news_mm", "The Tazaungdaing lantern festival drew big crowds despite the light drizzle."),
    ("demo_news_mm", "Schools in the district reopen after the holiday with new textbooks for grade 3."),
    ("demo_news_mm", "Blood donation drive at the general hospital this Saturday: all blood types needed."),
    ("demo_news_mm", "A new bus line will connect the airport and the central station from 15 November."),
    ("demo_news_mm", "Internet speeds dropped in the evening across the region; providers blame a damaged cable."),
    ("demo_news_mm", "Farmers report a good monsoon rice harvest in the delta this year."),
    ("demo_news_mm", "A reminder: the post office will be closed on the full moon day."),
    ("demo_reporter_1", "Reporter's notebook: three days on the river with fishermen who still use hand-woven nets."),
    ("demo_reporter_1", "Our team is looking for freelance photographers for a feature on street markets. DM us."),
    ("demo_reporter_1", "Correction: yesterday's story gave the wrong date for the book fair. It opens on Friday."),
    ("demo_reporter_1", "Volunteers cleaned up the lake shore on Sunday and collected 40 bags of plastic."),
    ("demo_librarian", "The township library extends its opening hours during exam season."),
    ("demo_librarian", "Free English conversation class for adults every Wednesday at the library."),
    ("demo_librarian", "New arrivals at the library: poetry, history and a stack of comics for the kids."),
    ("demo_football_fan", "What a match! Example City 2-1 Sample United, winner in the 89th minute."),
    ("demo_football_fan", "Derby day on Saturday. Who are you backing?"),
    ("demo_football_fan", "Our keeper has not conceded in four games. Clean sheet king."),
    # Substring trap: "rats" (a lexicon term) appears only inside "Congrats".
    ("demo_football_fan", "Congrats to the under-19 side on reaching the regional final!"),
    ("kickoff_fan", "Transfer rumour: the striker from Demo FC might move abroad in January."),
    ("kickoff_fan", "Training is open to fans on Thursday evening at the municipal stadium."),
    ("kickoff_fan", "Fantasy league update: I'm last again. Send help."),
    ("kickoff_fan", "The league table is so close this season, three teams level on points."),
    ("example_foodie_ygn", "Best mohinga in town? I vote for the little stall next to the market gate."),
    ("example_foodie_ygn", "Tea leaf salad with extra fried beans, the perfect lunch."),
    ("example_foodie_ygn", "Recipe of the week: coconut noodle soup (ohn no khao swe). Full steps in the comments."),
    ("sample_teashop", "New tea shop opened on our street. The milk tea is strong and sweet, just right."),
    ("sample_teashop", "Rainy afternoon = samosa salad and a pot of green tea."),
    ("sample_auntie_cooks", "Trying to make Shan noodles at home. Mine are not as good as my aunt's."),
    ("sample_auntie_cooks", "Chickpea fritters are back at the night market stall."),
    ("example_foodie_ygn", "Street food tour this weekend: meet at the clock tower at 5 pm."),
    ("sample_student_5", "Finished my exams today! Sleeping for a week."),
    ("sample_student_5", "Anyone know a good place to fix a laptop screen near the university?"),
    ("sample_student_5", "Does anyone have notes from yesterday's chemistry lecture?"),
    ("ordinary_user_12", "Planted tomatoes on the balcony. Wish me luck."),
    ("ordinary_user_12", "The sunset over the river tonight was unreal."),
    # Second substring trap: the romanised slur "kalar" only inside "Kalaripayattu".
    ("demo_community_page", "Kalaripayattu workshop at the community hall on Sunday, beginners welcome."),
    ("example_translator", "Translation tip: keep the original wording next to your translation so readers can check."),
    ("demo_community_page", "Looking for volunteers to teach basic maths to children on weekends."),
    ("ordinary_user_12", "The phone shop on the corner has a sale on chargers."),
    ("ordinary_user_12", "Happy birthday to my grandmother, 90 years young today!"),
    ("demo_community_page", "The monastery is collecting robes and books for the Kathina ceremony."),
    ("example_translator", "Train to Mandalay was two hours late but the view made up for it."),
    ("sample_auntie_cooks", "Rooftop garden update: the chillies are finally turning red."),
    ("example_translator", "Morning run around the lake, 5 km done."),
    ("sample_student_5", "Electricity back on after six hours. Charging everything."),
    ("ordinary_user_12", "Bought a second-hand bicycle today, best 80,000 kyat I ever spent."),
    ("demo_community_page", "Lost cat near the school gate, grey with a white tail. Please message the page if you see her."),
]:
    add(a, "en", HARMLESS, t)

for i, (city, cond, high) in enumerate([
    ("Yangon", "light showers in the afternoon", 32),
    ("Mandalay", "sunny and dry", 33),
    ("Naypyitaw", "cloudy with a chance of rain", 31),
    ("Bago", "morning mist, clearing by noon", 30),
    ("Mawlamyine", "hot and humid", 33),
    ("Taunggyi", "a cool, clear night ahead", 24),
    ("Pathein", "scattered thunderstorms", 31),
    ("Myitkyina", "foggy in the morning", 27),
    ("Sittwe", "breezy along the coast", 30),
    ("Sagaing", "dry and sunny", 34),
    ("Monywa", "hazy sunshine", 33),
    ("Dawei", "heavy rain possible in the evening", 29),
]):
    who = "demo_weather_bot" if i % 2 == 0 else "example_weather_mm"
    day = ["today", "tomorrow", "this weekend"][i % 3]
    add(who, "en", HARMLESS, f"{city} forecast for {day}: {cond}, high of {high}\u00b0C.")

for i, (item, move) in enumerate([
    ("Gold", "up slightly on the day"),
    ("Rice", "steady for the third week"),
    ("Cooking oil", "down a little after new stock arrived"),
    ("Onions", "up sharply after the floods upcountry"),
    ("The dollar rate", "unchanged at the open"),
    ("Eggs", "cheaper at the wholesale market this morning"),
    ("Chicken", "up slightly ahead of the festival"),
    ("Fish paste", "steady, with good supply from the coast"),
    ("Beans and pulses", "higher on export demand"),
    ("Gold", "down a little in afternoon trading"),
    ("Tomatoes", "cheaper as the winter crop comes in"),
    ("Sugar", "unchanged this week"),
]):
    who = "example_trader_22" if i % 2 == 0 else "sample_market_watch"
    add(who, "en", HARMLESS, f"Market watch: {item} {move}.")

for i, (home, hg, away, ag) in enumerate([
    ("Example City", 1, "Demo Rangers", 1),
    ("Sample United", 3, "Placeholder FC", 0),
    ("Test Athletic", 0, "Example City", 2),
    ("Demo Rangers", 2, "Sample United", 2),
    ("Placeholder FC", 1, "Test Athletic", 4),
    ("Example City", 3, "Sample United", 1),
    ("Demo Rangers", 0, "Test Athletic", 1),
    ("Placeholder FC", 2, "Example City", 2),
    ("Sample United", 1, "Demo Rangers", 0),
    ("Test Athletic", 2, "Placeholder FC", 3),
]):
    who = "demo_football_fan" if i % 2 == 0 else "kickoff_fan"
    add(who, "en", HARMLESS, f"Full time: {home} {hg}-{ag} {away}.")

# --- English, incitement (authors not on the account list) --------------------
for a, t in [
    ("angry_patriot_88", "Those people are vermin and everyone in this ward knows it."),
    ("angry_patriot_88", "VERMIN. That is all the minority will ever be."),  # upper case
    ("angry_patriot_88", "Time to wipe them out in Monywa. The minority has had its chance."),
    ("angry_patriot_88", "Burn them out of the village near Hpakant, those people have no right to be here."),
    ("angry_patriot_88", "Kalar go home. This country was never yours."),
    ("angry_patriot_88", "The election fraud in Mandalay was organised by the minority, everyone knows it. Share before they delete this."),
    # A zero-width space inside "vermin".
    ("angry_patriot_88", "Those people are ver" + ZWSP + "min, copy this before it gets taken down."),
    ("demo_nationalist_page", "Vermin, the lot of them. Keep the minority away from our market in Taunggyi."),  # title case
    ("demo_nationalist_page", "They multiply like cockroaches. Soon the minority will outnumber us in every township of Rakhine State."),
    ("demo_nationalist_page", "Parasites living off our land in Magway. Drive them out before the new year."),
    ("demo_nationalist_page", "The minority are subhuman and should be treated like it."),
    ("demo_nationalist_page", "Fake refugees are crossing the border at Myawaddy every night, paid by foreign groups."),
    ("demo_nationalist_page", "Kill them all. Every one of those people in the camp outside Sittwe."),
    ("demo_purity_channel", "Rats, every one of them. Close the Tamu border to those people."),
    ("demo_purity_channel", "We should exterminate the minority before it is too late."),
    ("demo_purity_channel", "Home address of the activist who organised the strike in Hlaingthaya: House No. 00, Example Street, "
                            "Sample Ward, Placeholder Town. Pay her a visit."),
    ("demo_purity_channel", "Burn them all in Meiktila, and burn their shops too."),
    ("troll_account_42", "To the journalist in Mawlamyine who wrote that story: we know where you live."),
    ("troll_account_42", "Your days are numbered, activist. Keep posting from Hakha and see what happens."),
    ("troll_account_42", "You will pay for every word, reporter. Every single word."),
    ("troll_account_42", "Those are crisis actors. The photos from the camp in Kachin State are staged."),
    ("ordinary_user_12", "Honestly the minority are cockroaches, I said what I said."),
    ("demo_rumour_mill", "Phone number of the journalist who filmed the protest in Dawei: 09-XXX-XXX-XXX (placeholder). "
                         "Call and tell him what you think."),
    ("demo_rumour_mill", "Rebels are burning their own villages in Sagaing Region to blame the army. Do not believe the foreign media."),
]:
    add(a, "en", INCITE, t)

# --- English, from listed accounts (some harmless: the list alone flags them) --
for a, t in [
    ("example_general_7", "Attended the passing-out parade of the new cadets in Pyin Oo Lwin today. A proud day for the nation."),
    ("example_general_7", "Those people in Sagaing are parasites and the army will wipe them out."),
    ("demo_spokesman_4", "Press briefing moved to 3 pm tomorrow."),
    ("demo_spokesman_4", "Reports of attacks on villages in Chin State are fake news; the rebels are burning their own villages."),
    ("demo_lager_brand", "Golden Demo Lager, now in cans. Cheers to the weekend!"),
    ("demo_lager_brand", "Football night = Golden Demo Lager. Buy two, get one free this week."),
    ("sample_cement_co", "Sample Cement: strong foundations for every home."),
    ("demo_bank_page", "Open a savings account with Demo Bank this month and get a free calendar."),
    ("demo_doxx_channel", "Home address of the reporter who exposed the raid in Insein: [DEMO PLACEHOLDER], Block 0, "
                          "Fictional Road. You know what to do."),
    ("sample_informer_mm", "Channel update: more names of human rights defenders in Loikaw tonight."),
    ("sample_informer_mm", "Phone number of the activist from the strike committee in Bago: 09-XXX-XXX-XXX (placeholder)."),
    ("example_mouthpiece", "Good morning from Naypyitaw. Clear skies today."),
    ("example_mouthpiece", "The 2020 election fraud is proven. Those who deny it are traitors."),
]:
    add(a, "en", LISTED, t)

# --- Burmese, harmless --------------------------------------------------------
for a, t in [
    # fried chickpeas / chickpea curry: contain ကုလား only inside ကုလားပဲ
    ("sample_teashop", "ကုလားပဲကြော် ပူပူနွေးနွေး ရပြီနော်။"),
    ("sample_auntie_cooks", "ကုလားပဲဟင်း ချက်နည်း - ကုလားပဲကို တစ်ညလုံး ရေစိမ်ထားပါ။"),
    # chairs: contain ကုလား only inside ကုလားထိုင်
    ("ordinary_user_12", "ကုလားထိုင်အသစ် ဝယ်လိုက်တယ်၊ အရမ်းထိုင်လို့ကောင်းတယ်။"),
    ("demo_community_page", "စာသင်ခန်းအတွက် ကုလားထိုင် ၅၀ လှူဒါန်းခဲ့ပါသည်။"),
    ("demo_furniture_shop", "ပလတ်စတစ် ကုလားထိုင်များ လျှော့ဈေးဖြင့် ရောင်းပါသည်။"),
    ("example_foodie_ygn", "မနက်စာအတွက် မုန့်ဟင်းခါး တစ်ပွဲ စားလိုက်ပြီ။"),
    ("sample_auntie_cooks", "လက်ဖက်သုပ် လုပ်နည်း ဗီဒီယိုအသစ် တင်ထားပါတယ်။"),
    ("example_foodie_ygn", "ပဲပြုတ်နဲ့ နံပြားက မနက်စာအတွက် အကောင်းဆုံးပဲ။"),
    ("example_foodie_ygn", "ရှမ်းခေါက်ဆွဲ ဆိုင်သစ် ဖွင့်ပြီ၊ လာစားကြပါ။"),
    ("kickoff_fan", "မြန်မာ့လက်ရွေးစင် ဘောလုံးအသင်း ၂ ဂိုး ၁ ဂိုးဖြင့် နိုင်ခဲ့သည်။"),
    ("kickoff_fan", "ယနေ့ည ဘောလုံးပွဲ ဘယ်အသင်း နိုင်မလဲ။"),
    ("demo_football_fan", "ဒီရာသီ ဂိုးအများဆုံး သွင်းသူ ဘယ်သူလဲ။"),
    ("demo_local_news_mm", "မြို့တော်ခန်းမတွင် စာအုပ်ပြပွဲ ကျင်းပမည်။"),
    ("demo_local_news_mm", "ကျောင်းသားများအတွက် ပညာသင်ဆု လျှောက်လွှာ ခေါ်ယူနေပါသည်။"),
    ("demo_local_news_mm", "ဆေးရုံကြီးတွင် သွေးလှူဒါန်းပွဲ ကျင်းပမည်။"),
    ("demo_local_news_mm", "တန်ဆောင်တိုင် ပွဲတော်အတွက် မီးပုံးများ ချိတ်ဆွဲထားကြသည်။"),
    ("demo_community_page", "ကထိန်ပွဲ လှူဒါန်းမှုများ ကျင်းပနေကြသည်။"),
    ("demo_local_news_mm", "လျှပ်စစ်မီး ပြတ်တောက်မှု အချိန်ဇယား ထုတ်ပြန်ပြီ။"),
    ("demo_local_news_mm", "ရန်ကုန်-မန္တလေး ရထားလက်မှတ်များ ကြိုတင်ဝယ်ယူနိုင်ပြီ။"),
    ("ordinary_user_12", "ပန်းခြံထဲမှာ ကလေးတွေ ဆော့ကစားနေကြတယ်။"),
    ("sample_student_5", "စာမေးပွဲ ပြီးသွားပြီ၊ အိပ်ရေးဝဝ အိပ်တော့မယ်။"),
    ("example_translator", "ဘာသာပြန်ခြင်း အကြံပြုချက် - မူရင်းစာသားကို ဘေးမှာ ထားပါ။"),
    ("demo_librarian", "စာကြည့်တိုက်မှာ ကလေးစာအုပ်အသစ်တွေ ရောက်ပြီ။"),
    ("ordinary_user_12", "ဒီနေ့ည လပြည့်နေ့ဖြစ်လို့ ဘုရားသွားမယ်။"),
    ("sample_auntie_cooks", "အမေ့ မွေးနေ့အတွက် ကိတ်မုန့် ဖုတ်ထားတယ်။"),
    ("demo_local_news_mm", "လမ်းပေါ်မှာ ရေကြီးနေလို့ ကားမောင်းသူများ သတိထားကြပါ။"),
    ("sample_market_watch", "ဈေးထဲမှာ ဆောင်းရာသီ ဟင်းသီးဟင်းရွက်တွေ ပေါ်နေပြီ။"),
    ("sample_teashop", "ဆိုင်သစ်မှာ လက်ဖက်ရည် အရမ်းကောင်းတယ်။"),
    ("sample_student_5", "အင်တာနက် လိုင်းကောင်းသွားပြီ၊ ကျေးဇူးပါ။"),
    ("demo_community_page", "ကျောင်းသားလေးတွေအတွက် စာအုပ်နဲ့ ခဲတံ လှူဒါန်းပွဲ လာမယ့် စနေနေ့။"),
    ("ordinary_user_12", "မြစ်ကမ်းနားမှာ နေဝင်ချိန် အရမ်းလှတယ်။"),
    ("demo_local_news_mm", "ဘတ်စ်ကားလိုင်းအသစ် နိုဝင်ဘာ ၁၅ ရက်မှ စတင်ပြေးဆွဲမည်။"),
    ("demo_community_page", "ဆရာဝန်များ အခမဲ့ ကျန်းမာရေး စစ်ဆေးပေးမည်။"),
    ("sample_auntie_cooks", "ကိုယ်ပိုင် ဥယျာဉ်ထဲက ခရမ်းချဉ်သီးတွေ မှည့်လာပြီ။"),
]:
    add(a, "my", HARMLESS, t)

for i, (city, cond, high) in enumerate([
    ("ရန်ကုန်", "မိုးအနည်းငယ် ရွာနိုင်သည်", "၃၂"),
    ("မန္တလေး", "နေသာပြီး ပူအိုက်မည်", "၃၃"),
    ("နေပြည်တော်", "တိမ်ထူထပ်မည်", "၃၁"),
    ("ပုသိမ်", "နံနက်ပိုင်း မြူဆိုင်းမည်", "၃၁"),
    ("မော်လမြိုင်", "မိုးအနည်းငယ် ရွာနိုင်သည်", "၃၂"),
    ("တောင်ကြီး", "ညပိုင်း အေးမြမည်", "၂၄"),
    ("မြစ်ကြီးနား", "နံနက်ပိုင်း မြူဆိုင်းမည်", "၂၇"),
    ("ပခုက္ကူ", "နေသာပြီး ပူအိုက်မည်", "၃၄"),
    ("စစ်ကိုင်း", "တိမ်ထူထပ်မည်", "၃၃"),
]):
    day = ["ယနေ့", "မနက်ဖြန်"][i % 2]
    add("example_weather_mm", "my", HARMLESS,
        f"{day} {city}မြို့တွင် {cond}။ အမြင့်ဆုံး အပူချိန် {high} ဒီဂရီ။")

for i, (item, move) in enumerate([
    ("ရွှေ", "အနည်းငယ် မြင့်တက်ခဲ့သည်"),
    ("ဆန်", "မပြောင်းလဲဘဲ တည်ငြိမ်နေသည်"),
    ("စားသုံးဆီ", "အနည်းငယ် ကျဆင်းခဲ့သည်"),
    ("ကြက်သား", "အနည်းငယ် မြင့်တက်ခဲ့သည်"),
    ("ကြက်ဥ", "အနည်းငယ် ကျဆင်းခဲ့သည်"),
    ("ကြက်သွန်နီ", "မြင့်တက်ခဲ့သည်"),
    ("ဒေါ်လာ", "မပြောင်းလဲဘဲ တည်ငြိမ်နေသည်"),
    ("ငါးပိ", "မပြောင်းလဲဘဲ တည်ငြိမ်နေသည်"),
]):
    who = "sample_market_watch" if i % 2 == 0 else "example_trader_22"
    add(who, "my", HARMLESS, f"{item}ဈေးနှုန်း ယနေ့ {move}။")

# Zawgyi, harmless (ids listed in examples_test.go).
add("example_weather_mm", "my", HARMLESS, "မနက်ဖြန် မန္တလေးမြို့တွင် မိုးရွာနိုင်သည်။", ZG)
add("sample_market_watch", "my", HARMLESS, "ဒီနေ့ ဈေးထဲမှာ ငါးနဲ့ ဟင်းသီးဟင်းရွက် ဈေးသက်သာတယ်။", ZG)
add("ordinary_user_12", "my", HARMLESS, "ကုလားပဲကြော်နဲ့ လက်ဖက်ရည် သောက်ရင်း သတင်းဖတ်နေတယ်။", ZG)  # chickpea
add("demo_furniture_shop", "my", HARMLESS, "ကုလားထိုင် အဟောင်းများကို ပြုပြင်ပေးပါသည်။", ZG)  # chair
add("kickoff_fan", "my", HARMLESS, "ဘောလုံးပွဲ ပြီးသွားပြီ၊ ကျွန်တော်တို့ အသင်း နိုင်တယ်။", ZG)

# --- Burmese, incitement (authors not on the account list) --------------------
for a, t in [
    ("sample_nationalist_mm", "ကုလားတွေကို မန္တလေးမြို့ထဲက မောင်းထုတ်ပစ်ရမယ်။"),
    ("demo_purity_channel", "လူနည်းစုတွေကို သတ်ပစ်ကြ။"),
    ("sample_nationalist_mm", "မုံရွာနားက သူတို့ရွာကို မီးရှို့ပစ်ကြ။"),
    ("demo_purity_channel", "ဒီ လူ့အခွင့်အရေးကာကွယ်သူ ပိုးမွှားတွေကို သုတ်သင်ရမယ်။"),
    ("angry_patriot_88", "သူတို့ဟာ ပိုးမွှားတွေပဲ၊ လူမဟုတ်ဘူး။"),
    ("demo_rumour_mill", "ဟားခါးက တက်ကြွလှုပ်ရှားသူ မင်း သေဖို့ပြင်ထား။"),
    ("sample_nationalist_mm", "ဘင်္ဂါလီတွေကို ရခိုင်ပြည်နယ်ကနေ မောင်းထုတ်ကြ။"),
    ("demo_nationalist_page", "ကုလားတွေ ဒီနိုင်ငံမှာ နေခွင့်မရှိဘူး။"),
    ("troll_account_42", "ရန်ကုန်မှာ လူနည်းစုတွေ ပိုးမွှားတွေလိုပဲ ပွားများလာနေတယ်။"),
    ("demo_purity_channel", "လားရှိုးက သူတို့ရဲ့ ဆိုင်တွေကို မီးရှို့ကြ။"),
    ("demo_rumour_mill", "ရွေးကောက်ပွဲ မဲလိမ်မှုကို လူနည်းစုတွေ စီစဉ်ခဲ့တာ။"),
    ("demo_rumour_mill", "တက်ကြွလှုပ်ရှားသူရဲ့ နေအိမ်လိပ်စာ ရပြီ၊ အမှတ် ၀၀၊ ဥပမာလမ်း၊ ပုသိမ်။"),
    ("sample_nationalist_mm", "ဒီကုလားတွေ အကုန်လုံးကို သတ်ပစ်ရမယ်။"),
]:
    add(a, "my", INCITE, t)

# Zawgyi, incitement (ids listed in examples_test.go).
add("sample_nationalist_mm", "my", INCITE, "ကုလားတွေကို သတ်ပစ်ကြ။", ZG)
add("demo_rumour_mill", "my", INCITE, "လူနည်းစုတွေကို ကလေးမြို့က မောင်းထုတ်ရမယ်။", ZG)  # a township, in Zawgyi
add("demo_purity_channel", "my", INCITE, "ဒီပိုးမွှားတွေရဲ့ အိမ်တွေကို မီးရှို့ပစ်ကြ။", ZG)

# --- Burmese, from listed accounts --------------------------------------------
for a, t in [
    ("sample_cement_co", "နမူနာ ဘိလပ်မြေ - အိမ်တိုင်းအတွက် ခိုင်မာသော အုတ်မြစ်။"),
    ("demo_bank_page", "ဒီလအတွင်း စုဆောင်းငွေစာရင်း ဖွင့်သူများအတွက် လက်ဆောင် ရှိပါသည်။"),
    ("demo_doxx_channel", "ဒီသတင်းထောက်ရဲ့ နေအိမ်လိပ်စာ - အမှတ် ၀၀၊ နမူနာလမ်း၊ ဥပမာရပ်ကွက်၊ မော်လမြိုင်။ သွားတွေ့လိုက်ကြ။"),
    ("demo_patriot_news", "၂၀၂၀ ရွေးကောက်ပွဲမှာ မဲလိမ်မှုတွေ အများကြီး ရှိခဲ့တယ်၊ ဒါ အမှန်တရားပဲ။"),
    ("demo_patriot_news", "မင်္ဂလာနံနက်ခင်းပါ။ ယနေ့ သတင်းများကို ဆက်လက်ဖော်ပြပါမည်။"),
    ("demo_colonel_3", "လမ်းပြုပြင်မှု ပြီးစီး၍ ယနေ့မှစ၍ ပြန်လည်ဖွင့်လှစ်ပါပြီ။"),
    ("demo_colonel_3", "မောင်တောက ဘင်္ဂါလီတွေဟာ ပိုးမွှားတွေပဲ။"),
]:
    add(a, "my", LISTED, t)


# --- Zawgyi conversion ----------------------------------------------------------

def load_rules(path):
    """Rabbit's rules use JavaScript regex syntax; Python's re accepts the
    patterns as they are (lookahead included). Only the replacement syntax
    differs: JavaScript's $1 is Python's \\g<1>."""
    with open(path, encoding="utf-8") as f:
        rules = json.load(f)
    out = []
    for r in rules:
        to = re.sub(r"\$(\d)", r"\\g<\1>", r["to"])
        out.append((re.compile(r["from"]), to))
    return out


def uni2zg(rules, text):
    for pat, to in rules:
        text = pat.sub(to, text)
    return text


# --- output -------------------------------------------------------------------

URLS = {
    "x": "https://x.example.com/{handle}/status/{id}",
    "facebook": "https://facebook.example.com/{handle}/posts/{id}",
    "telegram": "https://t.example.org/{handle}/{id}",
    "mastodon": "https://mastodon.example.org/@{handle}/{id}",
}


def post_id(platform, author_id, n):
    """Platform-shaped but obviously fake post ids."""
    if platform == "x":
        return "19990000000000%05d" % n
    if platform == "facebook":
        return "%s_%d" % (author_id, 900000 + n)
    if platform == "telegram":
        return str(1000 + n)  # message number
    return "1139990000%05d" % n  # mastodon


def build(rules):
    rng = random.Random(SEED)
    span = int((END - START).total_seconds())
    rows = []
    for i, (author, lang, label, text, enc) in enumerate(POSTS):
        ts = START + datetime.timedelta(seconds=int(rng.random() * span))
        out = uni2zg(rules, text) if enc == ZG else text
        rows.append({"i": i, "author": author, "lang": lang, "label": label,
                     "source": text, "text": out, "enc": enc, "ts": ts})
    rows.sort(key=lambda r: (r["ts"], r["i"]))
    counters = {}
    for r in rows:
        platform, author_id, handle, name = AUTHORS[r["author"]]
        counters[platform] = counters.get(platform, 0) + 1
        pid = post_id(platform, author_id, counters[platform])
        r["post"] = {
            "platform": platform,
            "id": pid,
            "author": {"id": author_id, "handle": handle, "name": name},
            "text": r["text"],
            "created_at": r["ts"].strftime("%Y-%m-%dT%H:%M:%SZ"),
            "url": URLS[platform].format(handle=handle, id=pid),
            "lang": r["lang"],
        }
    return rows


# --- self-check -----------------------------------------------------------------

INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def load_lexicon(path):
    """A minimal reader for the subset of YAML that lexicon.yaml uses (one
    key per line, flow lists, flow-map categories). Not a YAML parser."""
    context, terms, cur = set(), [], None
    for line in open(path, encoding="utf-8"):
        line = re.sub(r"\s+#.*$", "", line.rstrip("\n"))
        m = re.match(r"\s*- \{id: (\w+),.*\}$", line)
        if m and "category" not in line:
            if "context: true" in line:
                context.add(m.group(1))
            continue
        m = re.match(r"\s*(- )?(\w+): (.*)$", line)
        if not m:
            continue
        key, val = m.group(2), m.group(3).strip()
        if m.group(1) and key == "id":
            cur = {"id": val, "variants": [], "exceptions": []}
            terms.append(cur)
        elif cur is not None and key in ("term", "category"):
            cur[key] = val
        elif cur is not None and key in ("variants", "exceptions"):
            inner = val.strip("[]").strip()
            cur[key] = [v.strip().strip('"') for v in inner.split(",")] if inner else []
    return context, terms


def is_myanmar(s):
    return any("\u1000" <= c <= "\u109f" for c in s)


def myanmar_hits(text, term, exceptions):
    """Occurrences of term that start and end on a syllable boundary and are
    not part of an exception (a rough stand-in for the real segmenter)."""
    hits = []
    for m in re.finditer(re.escape(term), text):
        i, j = m.start(), m.end()
        if i > 0 and text[i - 1] == "\u1039":
            continue
        if j < len(text):
            c = text[j]
            if "\u102b" <= c <= "\u103e":
                continue
            nxt = text[j + 1:j + 3]
            if "\u1000" <= c <= "\u1021" and (nxt[:1] in ("\u103a", "\u1039") or nxt == "\u1037\u103a"):
                continue
        if any(k.start() <= i and j <= k.end()
               for e in exceptions for k in re.finditer(re.escape(e), text)):
            continue
        hits.append(i)
    return hits


def latin_hits(text, term):
    pat = r"(?<![0-9a-z_])" + r"\s+".join(re.escape(w) for w in term.casefold().split()) + r"(?![0-9a-z_])"
    return [m.start() for m in re.finditer(pat, text.casefold())]


def matches(text, terms, context):
    """Term ids of flagging (non-context) terms found in text."""
    text = INVISIBLE.sub("", text)
    found = []
    for t in terms:
        if t["category"] in context:
            continue
        for form in [t["term"]] + t["variants"]:
            hits = myanmar_hits(text, form, t["exceptions"]) if is_myanmar(form) else latin_hits(text, form)
            if hits:
                found.append(t["id"])
                break
    return found


def check(rows, lexicon_path, accounts_path):
    context, terms = load_lexicon(lexicon_path)
    with open(accounts_path, encoding="utf-8", newline="") as f:
        listed = {(r["platform"], r["account_id"]): r["list"] for r in csv.DictReader(f)}
    problems = []
    seen = set()
    for r in rows:
        p = r["post"]
        key = (p["platform"], p["id"])
        if key in seen:
            problems.append("duplicate %s/%s" % key)
        seen.add(key)
        # Check the Unicode source: the real pipeline converts Zawgyi first.
        r["terms"] = matches(r["source"], terms, context)
        r["list"] = listed.get((p["platform"], p["author"]["id"]))
        if r["label"] == LISTED and not r["list"]:
            problems.append("%s: labelled listed but %s is not on the account list" % (p["id"], p["author"]["handle"]))
        if r["label"] != LISTED and r["list"]:
            problems.append("%s: %s is on the account list but the post is labelled %s" % (p["id"], p["author"]["handle"], r["label"]))
        if r["label"] == HARMLESS and r["terms"]:
            problems.append("%s: labelled harmless but matches %s" % (p["id"], r["terms"]))
        if r["label"] == INCITE and not r["terms"]:
            problems.append("%s: labelled incitement but matches no flagging term" % p["id"])
        if r["enc"] == ZG and r["text"] == r["source"]:
            problems.append("%s: Zawgyi conversion left the text unchanged" % p["id"])
        if not p["created_at"] < END.strftime("%Y-%m-%dT%H:%M:%SZ"):
            problems.append("%s: created_at too late" % p["id"])
    if len(rows) != 200:
        problems.append("%d posts, want 200" % len(rows))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(EXAMPLES, "posts.jsonl"))
    ap.add_argument("--rules", default=os.path.join(HERE, "rabbit", "rabbit-uni2zg.json"))
    ap.add_argument("--lexicon", default=os.path.join(EXAMPLES, "lexicon.yaml"))
    ap.add_argument("--accounts", default=os.path.join(EXAMPLES, "accounts.csv"))
    ap.add_argument("--report", action="store_true", help="print each post's intended label, terms and list")
    args = ap.parse_args()

    rows = build(load_rules(args.rules))
    problems = check(rows, args.lexicon, args.accounts)
    for p in problems:
        print("genposts: " + p, file=sys.stderr)
    if problems:
        return 1

    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r["post"], ensure_ascii=False, separators=(",", ":")) + "\n")

    if args.report:
        for r in rows:
            p = r["post"]
            print("%-9s %-22s %-8s %-3s %-8s %-22s %-28s %s" % (
                p["platform"], p["id"], r["label"], r["lang"], r["enc"], p["author"]["handle"],
                ",".join(r["terms"]) or "-", r["list"] or "-"))
    counts = {}
    for r in rows:
        for k in (r["lang"], r["label"], r["enc"] if r["lang"] == "my" else None):
            if k:
                counts[k] = counts.get(k, 0) + 1
    print("genposts: wrote %d posts to %s (%s)" % (
        len(rows), os.path.relpath(args.out), ", ".join("%s=%d" % kv for kv in sorted(counts.items()))),
        file=sys.stderr)
    print("genposts: Zawgyi post ids: " + " ".join(
        "%s/%s" % (r["post"]["platform"], r["post"]["id"]) for r in rows if r["enc"] == ZG), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Text normalisation for the guide: width, case, punctuation, fillers and synonyms, on jieba tokens.

One `Normalizer` per process owns a private `jieba.Tokenizer` whose user dictionary is the domain
vocabulary, so colloquial phrases ("老人走了", "到点了") come out as single tokens and map cleanly.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

import jieba

SEPARATOR = ","
# Runs of anything that is neither a CJK ideograph, a latin letter nor a digit become one separator.
_NOISE = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")
_LATIN = re.compile(r"[0-9a-z]")
# Traditional characters as written in Hong Kong, Macao and Taiwan -> simplified, one to one (only characters
# that never occur in simplified text, so "乾" and "著" stay).
_TRADITIONAL = (
    "註冊銷園報麼麽請問門間準備廠過戶業辦證証開關變號碼個們來對時會說這裡裏後發髮經營許執稅務權續費醫療險結離嬰兒孫學畢職員勞動單簽約"
    "補貼獎勵項處構機場廳區縣鄉鎮東車輛駕駛護華國際買賣樓產屬親遷轉檔軍隊歲齡養領殘貧難喪殯儀館墳燒遺繼懷記錄鑑鑒審設計劃畫圖紙環評電"
    "氣網絡線條與為應該還沒嗎讓給講話談論語讀寫聽見觀覺愛歡樂點幾樣無專傳換據擔錢銀貸價額種類實現狀態況總數庫齊濟決並從眾衆體麗歷曆邊"
    "遠遞選進運達適連週遊導將師帶幫幣張彈強歸當盡層屆島嶺懶憑戰擁擇擊擴攤斷於舊書極標櫃殺漢湯滿濕災煙熱燈爺牆獨獲盤監確禮禍稱穩窮競筆"
    "節範築簡糧紀紅級細終組統綠維緊編練縮織罰羅聯聲腦臨興舉舖鋪藝藥蘭蟲術衛衝裝製複復規視覽訂認討訓託訪診詢試詳誌誤誰課調諮謝譯議豐負"
    "財貨質購賠賬賺趕躍軟較載輕輸農遲鄰針鐘鍾鐵錯長閉閒闆陽陰陳陸隨隱雙雜雞靈靜響頁頂順須預頭頻題顏願顧顯風飛飯飲餘饑飢馬駐驗鬧魚鳥麥"
    "黃黨齒龍壓壞壽夢夠奪奮婦媽寧寶尋帳廣廢彎彙匯徑徵憂戲擋擠攜敗暫曉棄樹橋檢歐毀淚淨淺測溝滅漲潔澤濃灣爭爾牽獻蘇畝異盜碩礎積籤紐純紛"
    "絕絲綜綿緣繳義習聖聞腳膚臉臟艱莊萬葉蓋薦藍蘋虧觸訊訴詐詞誠誕諒諾謀識讚贊責貴貿賀賃賓賭賴贈贏趨跡蹟踐軌輔輪轄辭辯邁郵醜釋鋼鍋鎖鏡"
    "鑰閱闊陣雖雲霧韓頓頒顆颱臺檯飽餅餓騙騎驚鬥鬱鮮鹽啟啓嚴囑團圍墊塊塗壯夾妝寬寵屍峽崗幹廁廚廈徹恆惡惱慣慘慮慶憐憶懇懸戀掃掛採揚損搖"
    "搶撥撫撿擬擺擾敘晉榮槍橫櫥欄歎嘆殼溫滬漁潛濱灑煩燦爐獄疊瘋癒礦穫簾糾紋納紹綱緩緯縱績繫係纖罵脅脈脫膽蓮蔣薑蘆虛褲訟詩誼謂譽豎貓輩"
    "輯轟迴鉛銜錶鏈鑽閣闖隸頑顛颳餵饒駁騷驢髒鬍鬚麵齣妳喫傢佈併儘億優償僱傭傷僅債倆偉側偵兇兩內凍則剛創劇劉劑勁勝勢協卻厲參叢吳啞噸圓"
    "塵壘寢嶽廬彌攝斃暢棗倉階棟輝紮緻繡罷聰腫膠艦蔥蝦襪覓貝貫賜賢賦鈔銅錦鍵閃頌頸飄飼騰驅魯鳳鴨鵝鶴黴龐壇奧廂彥拋摟撲斂昇暈楊樁氫洩淒"
    "渦滯滲滷漿澀濾瀏灘煉燉燭獅獵瑣瓊瘡癢睏矚祿竄竅篩籬粵糞綢緝緞繃羨翹聳臍臘艙艷茲莖萊蔔蕭蝕蟻蠟蠻詠謄謎豈賈贓軸辮醞醬釀鈕鋁鍍鎊鑄閥"
    "雋韌韻頰颶饞駱骯鯨鴿鷹窯喚喬嬸婭嫗孃廟擱攔擰緒縫繞繪繩纜襯襲誇謊譜貞趙軒遙遜鄭鈴雛頗驕鳴鬆隻祕丟佔餚衹紡箇糰賸搾絆纔鬨"
)
_SIMPLIFIED = (
    "注册销园报么么请问门间准备厂过户业办证证开关变号码个们来对时会说这里里后发发经营许执税务权续费医疗险结离婴儿孙学毕职员劳动单签约"
    "补贴奖励项处构机场厅区县乡镇东车辆驾驶护华国际买卖楼产属亲迁转档军队岁龄养领残贫难丧殡仪馆坟烧遗继怀记录鉴鉴审设计划画图纸环评电"
    "气网络线条与为应该还没吗让给讲话谈论语读写听见观觉爱欢乐点几样无专传换据担钱银贷价额种类实现状态况总数库齐济决并从众众体丽历历边"
    "远递选进运达适连周游导将师带帮币张弹强归当尽层届岛岭懒凭战拥择击扩摊断于旧书极标柜杀汉汤满湿灾烟热灯爷墙独获盘监确礼祸称稳穷竞笔"
    "节范筑简粮纪红级细终组统绿维紧编练缩织罚罗联声脑临兴举铺铺艺药兰虫术卫冲装制复复规视览订认讨训托访诊询试详志误谁课调咨谢译议丰负"
    "财货质购赔账赚赶跃软较载轻输农迟邻针钟钟铁错长闭闲板阳阴陈陆随隐双杂鸡灵静响页顶顺须预头频题颜愿顾显风飞饭饮余饥饥马驻验闹鱼鸟麦"
    "黄党齿龙压坏寿梦够夺奋妇妈宁宝寻帐广废弯汇汇径征忧戏挡挤携败暂晓弃树桥检欧毁泪净浅测沟灭涨洁泽浓湾争尔牵献苏亩异盗硕础积签纽纯纷"
    "绝丝综绵缘缴义习圣闻脚肤脸脏艰庄万叶盖荐蓝苹亏触讯诉诈词诚诞谅诺谋识赞赞责贵贸贺赁宾赌赖赠赢趋迹迹践轨辅轮辖辞辩迈邮丑释钢锅锁镜"
    "钥阅阔阵虽云雾韩顿颁颗台台台饱饼饿骗骑惊斗郁鲜盐启启严嘱团围垫块涂壮夹妆宽宠尸峡岗干厕厨厦彻恒恶恼惯惨虑庆怜忆恳悬恋扫挂采扬损摇"
    "抢拨抚捡拟摆扰叙晋荣枪横橱栏叹叹壳温沪渔潜滨洒烦灿炉狱叠疯愈矿获帘纠纹纳绍纲缓纬纵绩系系纤骂胁脉脱胆莲蒋姜芦虚裤讼诗谊谓誉竖猫辈"
    "辑轰回铅衔表链钻阁闯隶顽颠刮喂饶驳骚驴脏胡须面出你吃家布并尽亿优偿雇佣伤仅债俩伟侧侦凶两内冻则刚创剧刘剂劲胜势协却厉参丛吴哑吨圆"
    "尘垒寝岳庐弥摄毙畅枣仓阶栋辉扎致绣罢聪肿胶舰葱虾袜觅贝贯赐贤赋钞铜锦键闪颂颈飘饲腾驱鲁凤鸭鹅鹤霉庞坛奥厢彦抛搂扑敛升晕杨桩氢泄凄"
    "涡滞渗卤浆涩滤浏滩炼炖烛狮猎琐琼疮痒困瞩禄窜窍筛篱粤粪绸缉缎绷羡翘耸脐腊舱艳兹茎莱卜萧蚀蚁蜡蛮咏誊谜岂贾赃轴辫酝酱酿钮铝镀镑铸阀"
    "隽韧韵颊飓馋骆肮鲸鸽鹰窑唤乔婶娅妪娘庙搁拦拧绪缝绕绘绳缆衬袭夸谎谱贞赵轩遥逊郑铃雏颇骄鸣松只秘丢占肴只纺个团剩榨绊才哄"
)
_TO_SIMPLIFIED = str.maketrans(_TRADITIONAL, _SIMPLIFIED)


def canonical_chars(text: str) -> str:
    """Half width, simplified characters, lower case; each punctuation/space/emoji run to one separator."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_TO_SIMPLIFIED)
    return _NOISE.sub(SEPARATOR, text).strip(SEPARATOR)


def _join(tokens: Iterable[str]) -> str:
    """Concatenate tokens, keeping a space between two latin tokens so "zhu ce" stays readable."""
    out = ""
    for token in tokens:
        if out and _LATIN.match(token[:1]) and _LATIN.match(out[-1]):
            out += " "
        out += token
    return out


TOKEN_CACHE_SIZE = 256


class Normalizer:
    """Tokenises with the domain dictionary, drops fillers and rewrites synonyms to canonical terms."""

    def __init__(self, words: Iterable[str], synonyms: Mapping[str, str], fillers: Iterable[str]) -> None:
        logging.getLogger("jieba").setLevel(logging.WARNING)
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()
        self._synonyms = {canonical_chars(k): canonical_chars(v) for k, v in synonyms.items()}
        # Synonyms of several words ("pass away", "get married") are rewritten before tokenising.
        self._phrases = {k: v for k, v in self._synonyms.items() if SEPARATOR in k}
        self._phrase_re = (
            re.compile(
                r"(?<![0-9a-z])(?:"
                + "|".join(map(re.escape, sorted(self._phrases, key=len, reverse=True)))
                + r")(?![0-9a-z])"
            )
            if self._phrases
            else None
        )
        self._fillers = frozenset(canonical_chars(f) for f in fillers)
        # Sorted: jieba gives an added word a frequency from those already added, so the order decides
        # how texts are cut; a set's order changes with each process's hash seed (workers, the trainer).
        for word in sorted({*map(canonical_chars, words), *self._synonyms, *self._fillers}):
            if len(word) > 1 and not _LATIN.search(word):
                self._tokenizer.add_word(word)
        self._cached_tokens = lru_cache(maxsize=TOKEN_CACHE_SIZE)(self._tokens)

    def is_common_word(self, text: str, at_least: int = 50) -> bool:
        """True when `text` is a dictionary word used at least `at_least` times in jieba's corpus."""
        return self._tokenizer.FREQ.get(text, 0) >= at_least

    def tokens(self, text: str) -> tuple[str, ...]:
        """Normalised tokens of `text`; separators are kept as `SEPARATOR` tokens to mark clauses.

        Memoised (a few hundred recent texts): one dialogue turn segments the same text several times.
        """
        return self._cached_tokens(text)

    def _tokens(self, text: str) -> tuple[str, ...]:
        out: list[str] = []
        text = canonical_chars(text)
        if self._phrase_re:
            text = self._phrase_re.sub(lambda m: self._phrases[m.group(0)], text)
        for token in self._tokenizer.cut(text, HMM=False):
            if token in self._fillers:
                continue
            token = self._synonyms.get(token, token)
            if token == SEPARATOR and (not out or out[-1] == SEPARATOR):
                continue
            out.append(token)
        while out and out[-1] == SEPARATOR:
            out.pop()
        return tuple(out)

    def normalize(self, text: str) -> str:
        """The canonical form of `text`: what the matcher and the dialogue compare against."""
        return _join(self.tokens(text))

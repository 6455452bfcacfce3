"""Fitting a list of rendered blocks into one Telegram message, cut at a block with "and N more"."""

from __future__ import annotations

from bot.texts import Translator

# Telegram refuses longer texts (sendMessage, editMessageText): "Bad Request: message is too long".
MESSAGE_LENGTH = 4096


def telegram_length(text: str) -> int:
    """Telegram counts UTF-16 code units: an emoji outside the BMP counts twice."""
    return len(text.encode("utf_16_le")) // 2


def fit_blocks(
    t: Translator,
    head: str,
    blocks: list[str],
    *,
    tail: str = "",
    separator: str = "\n\n",
    more_key: str = "list-more",
    limit: int = MESSAGE_LENGTH,
) -> str:
    """`head`, as many whole `blocks` as fit, then `t(more_key, count=…)` for the rest, then `tail`."""
    ending = separator + tail if tail else ""
    # Lengths add up block by block (UTF-16 units of a concatenation are the sum of its parts'), so the
    # growing text is never measured again.
    length = telegram_length(head + ending)
    parts = [head]
    for shown, block in enumerate(blocks):
        left_after = len(blocks) - shown - 1
        reserve = telegram_length(separator + t(more_key, count=left_after)) if left_after else 0
        block_length = telegram_length(separator + block)
        if length + block_length + reserve > limit:
            return "".join(parts) + separator + t(more_key, count=len(blocks) - shown) + ending
        parts += (separator, block)
        length += block_length
    return "".join(parts) + ending

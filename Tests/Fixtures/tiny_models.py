"""What the tiny-model fixture scripts (qwen2/, qwen3/, llama3/) share: random weights at a scale that makes the
logits differ, a GGUF file laid out as llama.cpp's converter lays out a LLaMA-architecture model (its size keys,
its tokenizer keys, its tensor names), and the reference of a chat: the token ids, the per-token losses and the
first three rows of logits that transformers computes.
"""
import gguf
import torch

# Meta-Llama-3-8B-Instruct's chat template, as its tokenizer_config.json has it.
LLAMA3_CHAT_TEMPLATE = ("{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + "
                        "message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
                        "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
                        "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")


def save_random(model_class, config, folder, tokenizer=None):
    """A model of `config` whose every weight is drawn after torch.manual_seed(0) (norms near 1, everything else at
    0.3), saved into `folder` as transformers saves it, with `tokenizer` when given, less the generation config,
    special-tokens map and chat template transformers adds."""
    torch.manual_seed(0)
    model = model_class(config).float().eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("norm.weight"):
                parameter.copy_(1 + 0.1 * torch.randn_like(parameter))
            else:
                parameter.copy_(0.3 * torch.randn_like(parameter))
    model.save_pretrained(folder, safe_serialization=True)
    if tokenizer is not None:
        tokenizer.save_pretrained(folder)
    for extra in ["generation_config.json", "special_tokens_map.json", "chat_template.jinja"]:
        (folder / extra).unlink(missing_ok=True)
    return model


def gguf_writer(path, arch, config, rope_base, head_keys=()):
    """A GGUFWriter for `arch` with the model's sizes; `head_keys` are (writer method, value) pairs written after the
    head counts (the rotated dimensions, the key and value lengths)."""
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    for method, value in head_keys:
        getattr(writer, method)(value)
    writer.add_rope_freq_base(rope_base)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    return writer


def add_tokenizer(writer, tokens, types, merges, pre, eos, bos=None, pad=None, add_bos=None):
    """The byte-level BPE tokenizer keys: tokens in id order, their GGUF types, merges as "a b" strings, the
    pre-tokenizer's name and the role ids."""
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre)
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges([m if isinstance(m, str) else " ".join(m) for m in merges])
    if bos is not None:
        writer.add_bos_token_id(bos)
    writer.add_eos_token_id(eos)
    if pad is not None:
        writer.add_pad_token_id(pad)
    if add_bos is not None:
        writer.add_add_bos_token(add_bos)


def write_weights(writer, arch, model, transform=lambda name, tensor: tensor):
    """Every tensor under llama.cpp's name (the head tied to the embedding is not written), after `transform`
    (llama.cpp permutes a LLaMA's q and k rows), then the file."""
    names = gguf.get_tensor_name_map(arch, model.config.num_hidden_layers)
    for name, tensor in model.state_dict().items():
        if name == "lm_head.weight":
            continue  # tied to the embedding: llama.cpp writes no output.weight
        writer.add_tensor(names.get_name(name, try_suffixes=(".weight", ".bias")), transform(name, tensor).numpy())
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def chat_reference(model, ids):
    """The chat's ids, the model's loss at each next token, and its first three rows of logits."""
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0]
    losses = torch.nn.functional.cross_entropy(logits[:-1], torch.tensor(ids[1:]), reduction="none")
    return {"ids": ids, "losses": losses.tolist(), "first_logits": logits[:3].tolist()}

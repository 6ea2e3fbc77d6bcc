"""The built-in scorers: every name, where its class lives and its family, one line each.

`rageval.core.registry` hands its scorer registry to `register_builtins` once, at import; nothing
here imports a scorer (the registry loads a class the first time its name is used). Adding a
scorer is one line in its family's block.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rageval.core.registry import Registry


def register_builtins(scorers: Registry) -> None:
    """Register the built-in scorers with ``scorers`` (name spellings as `Registry.register` reads them)."""
    # text: n-gram overlap and embedding similarity with references
    scorers.register("bleu", "rageval.scorers.text.bleu:BLEU", family="text")
    scorers.register("chrf", "rageval.scorers.text.chrf:CHRF", family="text")
    scorers.register("ter", "rageval.scorers.text.ter:TER", family="text")
    scorers.register("rouge1", "rageval.scorers.text.rouge:Rouge1", family="text")
    scorers.register("rouge2", "rageval.scorers.text.rouge:Rouge2", family="text")
    for n in range(3, 10):
        scorers.register(f"rouge{n}", f"rageval.scorers.text.rouge:Rouge{n}", family="text")
    scorers.register("rougeL", "rageval.scorers.text.rouge:RougeL", family="text")
    scorers.register("rougeLsum", "rageval.scorers.text.rouge:RougeLsum", family="text")
    scorers.register("meteor", "rageval.scorers.text.meteor:METEOR", family="text")
    scorers.register("bertscore", "rageval.scorers.text.bertscore:BERTScore", family="text")
    scorers.register("semantic_similarity", "rageval.scorers.text.semantic:SemanticSimilarity", family="text")
    # qa: SQuAD's answer matching
    scorers.register("exact_match", "rageval.scorers.text.squad:ExactMatch", family="qa")
    scorers.register("token_f1", "rageval.scorers.text.squad:TokenF1", family="qa")
    # rag: judge-based
    scorers.register("faithfulness", "rageval.scorers.rag.faithfulness:Faithfulness", family="rag")
    scorers.register("context_relevance", "rageval.scorers.rag.context_relevance:ContextRelevance", family="rag")
    scorers.register("context_precision", "rageval.scorers.rag.context_precision:ContextPrecision", family="rag")
    scorers.register("context_recall", "rageval.scorers.rag.context_recall:ContextRecall", family="rag")
    scorers.register("answer_relevance", "rageval.scorers.rag.answer_relevance:AnswerRelevance", family="rag")
    scorers.register("answer_correctness", "rageval.scorers.rag.answer_correctness:AnswerCorrectness", family="rag")
    # retrieval: trec_eval's measures; the bare precision / recall are the classification ones
    scorers.register("precision@k", "rageval.scorers.retrieval.ranking:Precision", family="retrieval")
    scorers.register("recall@k", "rageval.scorers.retrieval.ranking:Recall", family="retrieval")
    scorers.register("hit_rate[@k]", "rageval.scorers.retrieval.ranking:HitRate", family="retrieval")
    scorers.register("ndcg[@k]", "rageval.scorers.retrieval.ranking:NDCG", family="retrieval")
    scorers.register("map[@k]", "rageval.scorers.retrieval.ranking:MAP", family="retrieval")
    scorers.register("mrr[@k]", "rageval.scorers.retrieval.ranking:MRR", family="retrieval")
    scorers.register("r_precision", "rageval.scorers.retrieval.ranking:RPrecision", family="retrieval")
    for name, cls in (("set_P", "SetP"), ("set_recall", "SetRecall"), ("set_F", "SetF"), ("set_map", "SetMAP"),
                      ("set_relative_P", "SetRelativeP"), ("relative_P@k", "RelativeP"), ("bpref", "Bpref"),
                      ("gm_map", "GMMAP"), ("iprec_at_recall", "IPrecAtRecall"), ("11pt_avg", "ElevenPointAverage"),
                      ("Rprec_mult", "RPrecMult"), ("unjudged@k", "Unjudged"), ("utility", "Utility"),
                      ("num_ret", "NumRet"), ("num_rel", "NumRel"), ("num_rel_ret", "NumRelRet"), ("num_q", "NumQ"),
                      ("infAP", "InfAP"), ("Rndcg", "RNDCG"), ("ndcg_rel", "NDCGRel"), ("rbp", "RBP")):
        scorers.register(name, f"rageval.scorers.retrieval.ranking:{cls}", family="retrieval")
    # classification: scikit-learn's names
    scorers.register("accuracy", "rageval.scorers.classic.classification:Accuracy", family="classification")
    scorers.register("precision", "rageval.scorers.classic.precision_recall:Precision", family="classification")
    scorers.register("recall", "rageval.scorers.classic.precision_recall:Recall", family="classification")
    scorers.register("f1", "rageval.scorers.classic.precision_recall:F1", family="classification")
    scorers.register("fbeta", "rageval.scorers.classic.precision_recall:FBeta", family="classification")
    scorers.register("roc_auc", "rageval.scorers.classic.ranking_metrics:RocAuc", family="classification")
    scorers.register("average_precision", "rageval.scorers.classic.ranking_metrics:AveragePrecision",
                     family="classification")
    scorers.register("jaccard", "rageval.scorers.classic.precision_recall:Jaccard", family="classification")
    scorers.register("specificity", "rageval.scorers.classic.precision_recall:Specificity", family="classification")
    scorers.register("npv", "rageval.scorers.classic.precision_recall:NPV", family="classification")
    scorers.register("fpr", "rageval.scorers.classic.precision_recall:FPR", family="classification")
    scorers.register("fdr", "rageval.scorers.classic.precision_recall:FDR", family="classification")
    scorers.register("balanced_accuracy", "rageval.scorers.classic.confusion:BalancedAccuracy", family="classification")
    scorers.register("mcc", "rageval.scorers.classic.confusion:MCC", family="classification")
    scorers.register("cohen_kappa", "rageval.scorers.classic.confusion:CohenKappa", family="classification")
    scorers.register("confusion_matrix", "rageval.scorers.classic.confusion:ConfusionMatrix", family="classification")
    scorers.register("zero_one_loss", "rageval.scorers.classic.confusion:ZeroOneLoss", family="classification")
    scorers.register("hamming_loss", "rageval.scorers.classic.confusion:HammingLoss", family="classification")
    scorers.register("log_loss", "rageval.scorers.classic.probabilistic:LogLoss", family="classification")
    scorers.register("brier", "rageval.scorers.classic.probabilistic:Brier", family="classification")
    scorers.register("hinge_loss", "rageval.scorers.classic.probabilistic:HingeLoss", family="classification")
    scorers.register("ece", "rageval.scorers.classic.calibration:ECE", family="classification")
    scorers.register("top_k_accuracy", "rageval.scorers.classic.topk:TopKAccuracy", family="classification")
    # regression: scikit-learn's names
    for module, names in (
            ("regression_pointwise", (("mse", "MSE"), ("rmse", "RMSE"), ("mae", "MAE"), ("mape", "MAPE"),
                                      ("smape", "SMAPE"), ("msle", "MSLE"), ("rmsle", "RMSLE"),
                                      ("median_ae", "MedianAE"), ("max_error", "MaxError"), ("pinball", "Pinball"),
                                      ("poisson_deviance", "PoissonDeviance"), ("gamma_deviance", "GammaDeviance"),
                                      ("tweedie_deviance", "TweedieDeviance"), ("huber", "Huber"),
                                      ("log_cosh", "LogCosh"))),
            ("regression", (("r2", "R2"), ("adjusted_r2", "AdjustedR2"), ("explained_variance", "ExplainedVariance"),
                            ("d2_pinball", "D2Pinball"), ("pearson", "Pearson"), ("spearman", "Spearman"),
                            ("kendall", "Kendall"), ("ccc", "CCC")))):
        for name, cls in names:
            scorers.register(name, f"rageval.scorers.classic.{module}:{cls}", family="regression")
    # sequence-level: corpus perplexity from token log-probabilities
    scorers.register("perplexity", "rageval.training.perplexity:Perplexity", family="sequence")
    # losses: rageval.losses functions, each scored as its reduction="mean" (torch.nn.functional's names)
    for module, names in (
            ("regression", (("mse_loss", "MSELoss"), ("l1_loss", "L1Loss"), ("huber_loss", "HuberLoss"),
                            ("smooth_l1_loss", "SmoothL1Loss"), ("log_cosh_loss", "LogCoshLoss"),
                            ("quantile_loss", "QuantileLoss"), ("poisson_nll_loss", "PoissonNLLLoss"),
                            ("gaussian_nll_loss", "GaussianNLLLoss"))),
            ("classification", (("cross_entropy", "CrossEntropy"), ("nll_loss", "NLLLoss"),
                                ("binary_cross_entropy", "BinaryCrossEntropy"), ("bce_with_logits", "BCEWithLogits"),
                                ("kl_div", "KLDiv"), ("focal_loss", "FocalLoss"), ("poly1_loss", "Poly1Loss"),
                                ("multi_margin_loss", "MultiMarginLoss"),
                                ("hinge_embedding_loss", "HingeEmbeddingLoss"))),
            ("embedding", (("cosine_embedding_loss", "CosineEmbeddingLoss"), ("contrastive_loss", "ContrastiveLoss"),
                           ("triplet_margin_loss", "TripletMarginLoss"), ("arcface_loss", "ArcFaceLoss"),
                           ("cosface_loss", "CosFaceLoss"))),
            ("sequence", (("ctc_loss", "CTCLoss"),))):
        for name, cls in names:
            scorers.register(name, f"rageval.scorers.losses.{module}:{cls}", family="losses")
    # dense vision: segmentation (confusion counts per image), image quality, depth, generative
    for name, cls in (("miou", "MIoU"), ("dice", "Dice"), ("pixel_accuracy", "PixelAccuracy"),
                      ("mean_accuracy", "MeanAccuracy"), ("fw_iou", "FWIoU")):
        scorers.register(name, f"rageval.scorers.vision.segmentation:{cls}", family="segmentation")
    scorers.register("boundary_f1", "rageval.scorers.vision.boundary:BoundaryF1", family="segmentation")
    scorers.register("boundary_iou", "rageval.scorers.vision.boundary_iou:BoundaryIoU", family="segmentation")
    scorers.register("panoptic_quality", "rageval.scorers.vision.panoptic:PanopticQuality", family="segmentation")
    scorers.register("psnr", "rageval.scorers.vision.image_quality:PSNR", family="image")
    scorers.register("ssim", "rageval.scorers.vision.image_quality:SSIM", family="image")
    scorers.register("ms_ssim", "rageval.scorers.vision.image_quality:MSSSIM", family="image")
    for name, cls in (("depth_abs_rel", "DepthAbsRel"), ("depth_sq_rel", "DepthSqRel"), ("depth_rmse", "DepthRMSE"),
                      ("depth_rmse_log", "DepthRMSELog"), ("depth_log10", "DepthLog10"),
                      ("depth_delta1", "DepthDelta1"),
                      ("depth_delta2", "DepthDelta2"), ("depth_delta3", "DepthDelta3"), ("silog", "SILog")):
        scorers.register(name, f"rageval.scorers.vision.depth:{cls}", family="depth")
    scorers.register("fid", "rageval.scorers.vision.generative:FID", family="generative")
    scorers.register("kid", "rageval.scorers.vision.generative:KID", family="generative")
    scorers.register("precision_recall_manifold", "rageval.scorers.vision.generative:PrecisionRecallManifold",
                     family="generative")
    scorers.register("tar_at_far", "rageval.scorers.vision.verification:TARatFAR", family="verification")
    scorers.register("verification_accuracy", "rageval.scorers.vision.verification:VerificationAccuracy",
                     family="verification")
    for name, cls in (("dice_loss", "DiceLoss"), ("jaccard_loss", "JaccardLoss"), ("tversky_loss", "TverskyLoss"),
                      ("focal_tversky_loss", "FocalTverskyLoss"), ("charbonnier_loss", "CharbonnierLoss"),
                      ("total_variation", "TotalVariation"),
                      ("scale_invariant_depth_loss", "ScaleInvariantDepthLoss"),
                      ("lovasz_softmax", "LovaszSoftmax"), ("lovasz_hinge", "LovaszHinge"),
                      ("berhu_loss", "BerHuLoss"), ("ssim_loss", "SSIMLoss"), ("ms_ssim_loss", "MSSSIMLoss")):
        scorers.register(name, f"rageval.scorers.vision.losses:{cls}", family="dense_losses")
    scorers.register("coco_map", "rageval.scorers.detection.coco:CocoMAP", family="detection")
    scorers.register("voc_ap", "rageval.scorers.detection.voc:VocAP", family="detection")
    for name, cls in (("box_iou", "BoxIoU"), ("giou", "GIoU"), ("diou", "DIoU"), ("ciou", "CIoU")):
        scorers.register(name, f"rageval.scorers.detection.boxes:{cls}", family="detection")
    for name, cls in (("iou_loss", "IoULoss"), ("giou_loss", "GIoULoss"), ("diou_loss", "DIoULoss"),
                      ("ciou_loss", "CIoULoss"), ("sigmoid_focal_loss", "SigmoidFocalLoss")):
        scorers.register(name, f"rageval.scorers.detection.box_losses:{cls}", family="detection")

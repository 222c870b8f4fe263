// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ERC2981} from "@openzeppelin/contracts/token/common/ERC2981.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {ERC721Utils} from "@openzeppelin/contracts/token/ERC721/utils/ERC721Utils.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IKeyRegistry} from "./interfaces/IKeyRegistry.sol";
import {IERC5192} from "./interfaces/IERC5192.sol";
import {IERC4907} from "./interfaces/IERC4907.sol";
import {PackedMultiProof} from "./libraries/PackedMultiProof.sol";

/**
 * @title EntitlementToken ("Keyledger Entitlement", KLE)
 * @notice One ERC-721 token per sold card key. Issuing proves, with one Merkle multiproof per call,
 * that every key's leaf is in its batch's root anchored in the {KeyRegistry}, and refuses a leaf
 * issued before. Redeeming (revealing the code) locks the token for good (ERC-5192); revoking
 * locks it too. Locked and revoked tokens can never move again.
 *
 * @dev Storage design (the gas goals drive it; docs/contracts.md has the figures):
 * - Token ids are sequential from 1 and each `issue` call mints one consecutive run
 *   (ERC721A-style): the run's owner and batch are stored once, at the run's first id.
 * - `_tokenFlags` keeps 4 bits per token, 56 tokens per word, plus a 32-bit header in the top bits:
 *   RUN_START (the token begins a run), OWNER_SET, LOCKED (redeemed or revoked), REVOKED. The
 *   header of word `w` is the first id of the run that contains token `w * 56`, so the run of any
 *   token is found in the token's own word, with no backward scan, and every word that holds a
 *   minted token is non-zero, so a later write into it never pays for a new slot.
 * - The custody invariant: a token whose OWNER_SET flag is off is owned by the custodian. Runs
 *   issued to the custodian (the normal case) leave it off; a run issued to anyone else turns it
 *   on for all its tokens, and every transfer or approval turns it on. A token with OWNER_SET is
 *   owned by `_tokenOwners[id]`, or by its run's owner while that slot is still empty. So one
 *   word of flags answers "locked? revoked? in custody?" for 56 tokens at once, which is what
 *   makes batched redemption and custodial-transfer records cheap, and a withdrawal from the
 *   middle of a run reads one flags word and writes the token's own owner slot, nothing else.
 * - Token ids stay below 2^32 (the header's width): {MAX_TOKEN_ID}.
 * - Rentals (ERC-4907) and expiries never need a fresh slot per rental or per renewal. A token is
 *   made rentable once ({enableRental}, for products whose content may be used by a renter): its
 *   nibble takes the one code the four flags never used, REVOKED without LOCKED (RENTABLE), and its
 *   64-bit cell in `_rentals` (4 tokens per word) is written non-zero. Renting then rewrites that
 *   cell: a user index (the user's address is stored once per user in a directory) and the user's
 *   expiry. Redemption, transfers and custodial records read the cell only for RENTABLE tokens, so
 *   other tokens pay nothing for rentals. Per-token expiries (subscriptions) are 32-bit seconds,
 *   8 per word in `_expiries`, so extending 100 consecutive tokens rewrites 13 words.
 *
 * Transfers are deliberately not pausable: the pause stops the platform's own powers (issue,
 * redeem, revoke, custodial records), never a holder's right to move an unlocked token.
 */
contract EntitlementToken is
    IERC721,
    IERC721Metadata,
    IERC721Errors,
    IERC5192,
    IERC4907,
    AccessControl,
    Pausable,
    ERC2981
{
    /// @notice May issue, redeem, revoke, record custodial transfers and set batch royalties.
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    /// @notice Upper bound of leaves per {issue} call (bounds the loops and the memory used).
    uint256 public constant MAX_LEAVES_PER_ISSUE = 512;
    /// @notice Upper bound of tokens per {redeem}, {revoke} or {recordCustodialTransfers} call.
    uint256 public constant MAX_TOKENS_PER_CALL = 512;
    /// @notice Token ids must fit the 32-bit run-start header of `_tokenFlags`.
    uint256 public constant MAX_TOKEN_ID = type(uint32).max;

    string private constant NAME = "Keyledger Entitlement";
    string private constant SYMBOL = "KLE";

    uint256 private constant TOKENS_PER_WORD = 56;
    uint256 private constant HEADER_SHIFT = 224;
    uint256 private constant NIBBLE = 0xF;
    uint256 private constant RUN_START = 1;
    uint256 private constant OWNER_SET = 2;
    uint256 private constant LOCKED = 4;
    /// @dev Alone (without LOCKED) this bit means RENTABLE; with LOCKED it means revoked.
    uint256 private constant REVOKED = 8;
    uint256 private constant RENTABLE = REVOKED;
    uint256 private constant CELLS_PER_RENTAL_WORD = 4;
    uint256 private constant EXPIRIES_PER_WORD = 8;
    uint256 private constant CELL_MASK = type(uint64).max;
    uint256 private constant EXPIRY_MASK = type(uint32).max;
    /// @dev A rentable token's cell before its first rental: user index 0, expiry 1 (long past),
    /// so the word is non-zero from {enableRental} on and a rental rewrites it for 5,000 gas.
    uint256 private constant PREPARED_CELL = 1;
    /// @dev The RUN_START bit of each of the 56 nibbles.
    uint256 private constant RUN_START_BITS = 0x11111111111111111111111111111111111111111111111111111111;
    /// @dev The OWNER_SET bit of each of the 56 nibbles.
    uint256 private constant OWNER_SET_BITS = RUN_START_BITS << 1;
    /// @dev keccak256("CustodialTransferRecorded(uint256,bytes32,bytes32)").
    bytes32 private constant CUSTODIAL_TRANSFER_EVENT = keccak256("CustodialTransferRecorded(uint256,bytes32,bytes32)");
    /// @dev keccak256("Transfer(address,address,uint256)").
    bytes32 private constant TRANSFER_EVENT = 0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef;

    IKeyRegistry private immutable REGISTRY;
    address private immutable CUSTODIAN;

    uint256 private _nextTokenId = 1;
    string private _baseTokenURI;

    /// @dev First id of a run => owner (low 160 bits) | batch id (bits 160..223).
    mapping(uint256 runStart => uint256 packed) private _runs;
    /// @dev The token's own owner; meaningful only when its OWNER_SET flag is on (zero: the run's owner).
    mapping(uint256 tokenId => address owner) private _tokenOwners;
    /// @dev See the contract's storage notes: 56 nibbles of flags + a 32-bit run-start header.
    mapping(uint256 word => uint256 flags) private _tokenFlags;
    /// @dev Per batch, a bitmap of issued leaf indexes.
    mapping(uint64 batchId => mapping(uint256 word => uint256 bits)) private _issuedLeaves;
    mapping(address owner => uint256 balance) private _balances;
    /// @dev Only tokens with OWNER_SET can carry an approval ({approve} sets it), so a transfer of
    /// a token still in its run never needs to read or clear this slot.
    mapping(uint256 tokenId => address approved) private _tokenApprovals;
    mapping(address owner => mapping(address operator => bool approved)) private _operatorApprovals;
    mapping(uint64 batchId => RoyaltyInfo royalty) private _batchRoyalties;
    /// @dev 4 cells of 64 bits per word: user index (high 32 bits) | user expiry in seconds (low 32).
    mapping(uint256 word => uint256 cells) private _rentals;
    /// @dev 8 expiries of 32 bits (seconds) per word; zero: the token never expires.
    mapping(uint256 word => uint256 expiries) private _expiries;
    /// @dev The directory of users: index (from 1) => address, and back.
    mapping(uint256 index => address user) private _users;
    mapping(address user => uint256 index) private _userIndexes;
    uint256 private _userCount;

    /**
     * @notice Tokens `firstTokenId` .. `firstTokenId + count - 1` were issued for batch `batchId`.
     * @param leafIndexes `count` big-endian uint32 values: token `firstTokenId + i` is the key at
     * leaf index `leafIndexes[4i .. 4i+4]` of the batch.
     */
    event EntitlementsIssued(uint64 indexed batchId, uint256 firstTokenId, uint256 count, bytes leafIndexes);
    /// @notice The tokens' codes were revealed; each was locked (see the ERC-5192 {Locked} events).
    event EntitlementsRedeemed(uint256[] tokenIds);
    /// @notice The tokens were revoked (and locked); `reasonHash` points at the off-chain reason.
    event EntitlementsRevoked(uint256[] tokenIds, bytes32 reasonHash);
    /// @notice The custodian records that custodial holder `fromHolder` sold the token to `toHolder`
    /// (pseudonymous platform account ids); the token itself stays with the custodian.
    event CustodialTransferRecorded(uint256 indexed tokenId, bytes32 fromHolder, bytes32 toHolder);
    /// @notice Tokens of batch `batchId` pay `basisPoints` / 10,000 of a sale to `receiver`
    /// (a zero receiver removes the batch's royalty: the default applies again).
    event RoyaltySet(uint64 indexed batchId, address receiver, uint96 basisPoints);
    /// @notice The royalty for tokens whose batch has none changed.
    event DefaultRoyaltySet(address receiver, uint96 basisPoints);
    /// @notice The base of every token URI changed.
    event BaseURIChanged(string baseURI);
    /// @notice The tokens may be rented from now on (ERC-4907 {setUser}).
    event RentalEnabled(uint256[] tokenIds);
    /// @notice The tokens expire at `expiry` (UNIX seconds): their entitlement ends then.
    event ExpiriesSet(uint256[] tokenIds, uint64 expiry);
    /// @notice Each token's expiry moved `by` seconds later (a renewal).
    event ExpiriesExtended(uint256[] tokenIds, uint64 by);

    /// @notice The registry has no root for `batchId`.
    error BatchNotAnchored(uint64 batchId);
    /// @notice The multiproof is malformed or does not rebuild the root of `batchId`.
    error InvalidProof(uint64 batchId);
    /// @notice The key at `leafIndex` of `batchId` has its token already (or is listed twice).
    error LeafAlreadyIssued(uint64 batchId, uint32 leafIndex);
    /// @notice The token was redeemed: its code was revealed, so it can never move again.
    error TokenLocked(uint256 tokenId);
    /// @notice The token was revoked: it can never move, be redeemed or be resold.
    error TokenRevoked(uint256 tokenId);
    /// @notice The token was redeemed before (or is listed twice).
    error AlreadyRedeemed(uint256 tokenId);
    /// @notice The token was revoked before (or is listed twice).
    error AlreadyRevoked(uint256 tokenId);
    /// @notice A custodial resale needs the token in custody; `owner` holds it.
    error NotInCustody(uint256 tokenId, address owner);
    /// @notice Parallel lists differ in length: `expected` (the first list's) against `actual`.
    error LengthMismatch(uint256 expected, uint256 actual);
    /// @notice A call needs at least one leaf or token.
    error EmptyList();
    /// @notice `count` items exceed the per-call limit `max`.
    error TooMany(uint256 count, uint256 max);
    /// @notice Issuing would take ids past `max` (the flags header is 32 bits wide).
    error TokenIdSpaceExhausted(uint256 lastTokenId, uint256 max);
    /// @notice A royalty above 100% (`max` basis points).
    error RoyaltyTooHigh(uint96 basisPoints, uint96 max);
    /// @notice A constructor address, or a user, was zero.
    error ZeroAddress();
    /// @notice The token was not made rentable ({enableRental}), or was already.
    error NotRentable(uint256 tokenId);
    /// @notice The token is rented to `user` until `expires`: its owner may not redeem, sell,
    /// transfer or withdraw it, and nobody may rent it, until then.
    error TokenRented(uint256 tokenId, address user, uint64 expires);
    /// @notice A user's expiry must be in the future and fit 32 bits of seconds.
    error InvalidUserExpiry(uint64 expires);
    /// @notice An entitlement's expiry must be in the future and fit 32 bits of seconds.
    error InvalidExpiry(uint256 expiry);
    /// @notice The token has no expiry to extend (or already has one to set).
    error NoExpiry(uint256 tokenId);
    /// @notice The token's expiry was set before: renewals extend it ({extendExpiries}).
    error ExpiryAlreadySet(uint256 tokenId);

    /**
     * @param admin Holds DEFAULT_ADMIN_ROLE: roles, pause, base URI, default royalty.
     * @param operator Holds OPERATOR_ROLE from the start.
     * @param registry_ The KeyRegistry whose roots issuance checks; part of every leaf.
     * @param custodian_ The platform's custody address; fixed for the contract's life because
     * {recordCustodialTransfers} and the platform's books depend on it.
     */
    constructor(address admin, address operator, IKeyRegistry registry_, address custodian_) {
        if (
            admin == address(0) || operator == address(0) || address(registry_) == address(0)
                || custodian_ == address(0)
        ) revert ZeroAddress();
        REGISTRY = registry_;
        CUSTODIAN = custodian_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(OPERATOR_ROLE, operator);
    }

    // ---------------------------------------------------------------- issuance

    /**
     * @notice Issues one token per key: token `firstTokenId + i` to `to` for leaf `leafIndexes[i]`.
     * @param leafIndexes The keys' leaf indexes, in the order getMultiProof() returns the leaves.
     * @param commitments The keys' commitments, same order.
     * @param proof The multiproof's sibling hashes.
     * @param proofFlags The multiproof's flags packed as bits (see {PackedMultiProof}).
     * @dev Each leaf is recomputed with `block.chainid` and the registry's address, so a proof
     * made for another chain, registry, shop or batch never verifies.
     * Requirements:
     * - the caller holds OPERATOR_ROLE and the contract is not paused;
     * - 1 to {MAX_LEAVES_PER_ISSUE} leaves, as many commitments as leaf indexes, `to` not zero;
     * - the registry is not paused, the batch is anchored and the multiproof proves every leaf
     *   against its root;
     * - no leaf was issued before (nor appears twice in the call).
     */
    function issue(
        uint64 shopId,
        uint64 batchId,
        address to,
        uint32[] calldata leafIndexes,
        bytes32[] calldata commitments,
        bytes32[] calldata proof,
        uint256[] calldata proofFlags
    ) external onlyRole(OPERATOR_ROLE) whenNotPaused returns (uint256) {
        _checkListLength(leafIndexes.length, MAX_LEAVES_PER_ISSUE);
        if (commitments.length != leafIndexes.length) revert LengthMismatch(leafIndexes.length, commitments.length);
        if (to == address(0)) revert ERC721InvalidReceiver(address(0));
        {
            bytes32[] memory leaves = _leavesOf(shopId, batchId, leafIndexes, commitments);
            _verifyProof(batchId, leaves, proof, proofFlags);
        }
        _markIssued(batchId, leafIndexes);
        uint256 firstTokenId = _mintRun(to, batchId, leafIndexes.length);
        emit EntitlementsIssued(batchId, firstTokenId, leafIndexes.length, _packLeafIndexes(leafIndexes));
        return firstTokenId;
    }

    /// @notice Whether the key at `leafIndex` of batch `batchId` has been issued.
    function isIssued(uint64 batchId, uint32 leafIndex) external view returns (bool) {
        return (_issuedLeaves[batchId][leafIndex >> 8] >> (leafIndex & 255)) & 1 == 1;
    }

    // ---------------------------------------------------------------- redemption and revocation

    /**
     * @notice Records that the tokens' codes were revealed: each token is locked for good.
     * @dev Emits ERC-5192 {Locked} per token, then {EntitlementsRedeemed}.
     * Requirements:
     * - the caller holds OPERATOR_ROLE and the contract is not paused;
     * - 1 to {MAX_TOKENS_PER_CALL} tokens, each existing, not revoked, not redeemed (nor listed twice).
     */
    function redeem(uint256[] calldata tokenIds) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        _lockTokens(tokenIds, LOCKED, REVOKED | LOCKED);
        emit EntitlementsRedeemed(tokenIds);
    }

    /**
     * @notice Revokes the tokens (a refund, a key found bad): each becomes revoked and locked.
     * @dev Emits ERC-5192 {Locked} for each token not locked before, then {EntitlementsRevoked}.
     * Requirements:
     * - the caller holds OPERATOR_ROLE and the contract is not paused;
     * - 1 to {MAX_TOKENS_PER_CALL} tokens, each existing and not revoked (nor listed twice).
     */
    function revoke(uint256[] calldata tokenIds, bytes32 reasonHash) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        _lockTokens(tokenIds, REVOKED | LOCKED, REVOKED);
        emit EntitlementsRevoked(tokenIds, reasonHash);
    }

    /**
     * @dev Sets `bits` (LOCKED for a redemption, REVOKED | LOCKED for a revocation) in each
     * token's flags, emitting {Locked} for each token not locked before; a token with any of the
     * `refused` bits set reverts (see {_revertRefused}). Tokens sold together are mostly
     * consecutive, so flags are read and written once per word, not once per token. One check
     * of `refused` per token keeps this loop's gas that of the two loops it replaced.
     */
    function _lockTokens(uint256[] calldata tokenIds, uint256 bits, uint256 refused) private {
        uint256 count = tokenIds.length;
        _checkListLength(count, MAX_TOKENS_PER_CALL);
        uint256 nextTokenId_ = _nextTokenId;
        uint256 wordIndex = type(uint256).max;
        uint256 flags;
        for (uint256 i = 0; i < count; ++i) {
            uint256 tokenId = tokenIds[i];
            if (tokenId == 0 || tokenId >= nextTokenId_) revert ERC721NonexistentToken(tokenId);
            uint256 tokenWord = tokenId / TOKENS_PER_WORD;
            if (tokenWord != wordIndex) {
                if (wordIndex != type(uint256).max) _tokenFlags[wordIndex] = flags;
                wordIndex = tokenWord;
                flags = _tokenFlags[tokenWord];
            }
            uint256 shift = (tokenId % TOKENS_PER_WORD) * 4;
            uint256 nibble = (flags >> shift) & NIBBLE;
            if (nibble & refused != 0) {
                // A RENTABLE token (REVOKED without LOCKED) is neither redeemed nor revoked: it may
                // be revoked at any time, and redeemed while nobody rents it; a redemption's lock
                // replaces the RENTABLE code (the token can never be rented again).
                if (nibble & (REVOKED | LOCKED) != RENTABLE) _revertRefused(tokenId, nibble, bits);
                if (bits == LOCKED) {
                    _requireNotRented(tokenId);
                    flags &= ~(RENTABLE << shift);
                }
            }
            if (nibble & LOCKED == 0) emit Locked(tokenId);
            flags |= bits << shift;
        }
        _tokenFlags[wordIndex] = flags;
    }

    /// @dev Why {_lockTokens} refuses a token: revoked (AlreadyRevoked when revoking, TokenRevoked
    /// when redeeming), else redeemed (AlreadyRedeemed; revoking a redeemed token is allowed).
    function _revertRefused(uint256 tokenId, uint256 nibble, uint256 bits) private pure {
        if (nibble & REVOKED != 0) {
            if (bits & REVOKED != 0) revert AlreadyRevoked(tokenId);
            revert TokenRevoked(tokenId);
        }
        revert AlreadyRedeemed(tokenId);
    }

    /// @inheritdoc IERC5192
    function locked(uint256 tokenId) external view returns (bool) {
        return _nibbleOf(tokenId) & LOCKED != 0;
    }

    /// @notice Whether the token was revoked. Reverts for a token that does not exist.
    function isRevoked(uint256 tokenId) external view returns (bool) {
        return _nibbleOf(tokenId) & (REVOKED | LOCKED) == (REVOKED | LOCKED);
    }

    // ---------------------------------------------------------------- rentals (ERC-4907)

    /**
     * @notice Makes the tokens rentable: from now on a user can be set on each ({setUser},
     * {setUsers}). Called once per token, for products whose content a renter may use.
     * @dev Writes each token's rental cell non-zero (and its RENTABLE code), so that no rental ever
     * pays for a fresh storage slot. Emits {RentalEnabled}.
     * Requirements:
     * - the caller holds OPERATOR_ROLE and the contract is not paused;
     * - 1 to {MAX_TOKENS_PER_CALL} tokens, each existing, neither redeemed, revoked nor rentable
     *   already (nor listed twice).
     */
    function enableRental(uint256[] calldata tokenIds) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        uint256 count = tokenIds.length;
        _checkListLength(count, MAX_TOKENS_PER_CALL);
        for (uint256 i = 0; i < count; ++i) {
            uint256 tokenId = tokenIds[i];
            _requireExists(tokenId);
            uint256 wordIndex = tokenId / TOKENS_PER_WORD;
            uint256 shift = (tokenId % TOKENS_PER_WORD) * 4;
            uint256 flags = _tokenFlags[wordIndex];
            uint256 nibble = (flags >> shift) & NIBBLE;
            if (nibble & (REVOKED | LOCKED) != 0) _revertNotRentable(tokenId, nibble);
            _tokenFlags[wordIndex] = flags | (RENTABLE << shift);
            _rentals[tokenId / CELLS_PER_RENTAL_WORD] |= PREPARED_CELL << ((tokenId % CELLS_PER_RENTAL_WORD) * 64);
        }
        emit RentalEnabled(tokenIds);
    }

    /**
     * @inheritdoc IERC4907
     * @dev A rental can be neither shortened nor handed to someone else before it ends (the
     * renter paid for the term): while one runs, this reverts {TokenRented}. The user's right
     * ends at `expires` without any transaction ({userOf} answers zero from then on).
     * Requirements:
     * - the token is rentable ({enableRental}): not redeemed, not revoked, and nobody rents it;
     * - the caller is the token's owner, approved for it, an operator of the owner, or (for a
     *   token in custody, while the contract is not paused) holds OPERATOR_ROLE;
     * - `user` is not zero; `expires` is later than now and below 2^32.
     */
    function setUser(uint256 tokenId, address user, uint64 expires) external {
        _checkUserExpiry(expires);
        _setUser(tokenId, user, _userIndexFor(user), expires);
    }

    /**
     * @notice {setUser} for many tokens at once: one user, one expiry.
     * @dev Requirements: those of {setUser} for each token; 1 to {MAX_TOKENS_PER_CALL} tokens.
     */
    function setUsers(uint256[] calldata tokenIds, address user, uint64 expires) external {
        uint256 count = tokenIds.length;
        _checkListLength(count, MAX_TOKENS_PER_CALL);
        _checkUserExpiry(expires);
        uint256 userIndex = _userIndexFor(user);
        for (uint256 i = 0; i < count; ++i) {
            _setUser(tokenIds[i], user, userIndex, expires);
        }
    }

    /// @inheritdoc IERC4907
    function userOf(uint256 tokenId) external view returns (address) {
        (uint256 userIndex, uint256 expires) = _rentalOf(tokenId);
        if (userIndex == 0 || block.timestamp >= expires || _isExpired(tokenId)) return address(0);
        return _users[userIndex];
    }

    /// @inheritdoc IERC4907
    function userExpires(uint256 tokenId) external view returns (uint256) {
        (uint256 userIndex, uint256 expires) = _rentalOf(tokenId);
        return userIndex == 0 ? 0 : expires;
    }

    /// @notice Whether the token may be rented ({enableRental} ran, and it was not redeemed or revoked since).
    function isRentable(uint256 tokenId) external view returns (bool) {
        return _nibbleOf(tokenId) & (REVOKED | LOCKED) == RENTABLE;
    }

    /// @dev Sets one token's user after every check of {setUser}; `userIndex` is `user`'s index.
    function _setUser(uint256 tokenId, address user, uint256 userIndex, uint64 expires) private {
        uint256 flags = _tokenFlags[tokenId / TOKENS_PER_WORD];
        uint256 nibble = (flags >> ((tokenId % TOKENS_PER_WORD) * 4)) & NIBBLE;
        // RENTABLE implies the token exists (only {enableRental} sets it).
        if (nibble & (REVOKED | LOCKED) != RENTABLE) _revertNotRentable(tokenId, nibble);
        address owner = _ownerOf(tokenId, flags);
        if (msg.sender != owner) _checkUserSetter(owner, tokenId, nibble);
        uint256 wordIndex = tokenId / CELLS_PER_RENTAL_WORD;
        uint256 cellShift = (tokenId % CELLS_PER_RENTAL_WORD) * 64;
        uint256 cells = _rentals[wordIndex];
        _revertIfRented(tokenId, (cells >> cellShift) & CELL_MASK);
        _rentals[wordIndex] = (cells & ~(CELL_MASK << cellShift)) | (((userIndex << 32) | expires) << cellShift);
        emit UpdateUser(tokenId, user, expires);
    }

    /// @dev Who besides the owner may set a user: as for a transfer, plus the operator in custody.
    function _checkUserSetter(address owner, uint256 tokenId, uint256 nibble) private view {
        if (_operatorApprovals[owner][msg.sender]) return;
        if (nibble & OWNER_SET != 0 && _tokenApprovals[tokenId] == msg.sender) return;
        if (owner == CUSTODIAN && hasRole(OPERATOR_ROLE, msg.sender)) {
            _requireNotPaused();
            return;
        }
        revert ERC721InsufficientApproval(msg.sender, tokenId);
    }

    function _checkUserExpiry(uint64 expires) private view {
        if (expires <= block.timestamp || expires > EXPIRY_MASK) revert InvalidUserExpiry(expires);
    }

    /// @dev The user's index in the directory, adding the user on first use (once per user, not per rental).
    function _userIndexFor(address user) private returns (uint256 index) {
        if (user == address(0)) revert ZeroAddress();
        index = _userIndexes[user];
        if (index != 0) return index;
        index = _userCount + 1;
        if (index > EXPIRY_MASK) revert TooMany(index, EXPIRY_MASK);
        _userCount = index;
        _userIndexes[user] = index;
        _users[index] = user;
    }

    /// @dev The cell of an existing token: its user index and the user's expiry; (0, 0) unless rentable.
    function _rentalOf(uint256 tokenId) private view returns (uint256 userIndex, uint256 expires) {
        if (_nibbleOf(tokenId) & (REVOKED | LOCKED) != RENTABLE) return (0, 0);
        uint256 cell = (_rentals[tokenId / CELLS_PER_RENTAL_WORD] >> ((tokenId % CELLS_PER_RENTAL_WORD) * 64)) & CELL_MASK;
        return (cell >> 32, cell & EXPIRY_MASK);
    }

    /// @dev Reverts {TokenRented} while the cell's user has a running right (before its expiry).
    function _revertIfRented(uint256 tokenId, uint256 cell) private view {
        uint256 userIndex = cell >> 32;
        uint256 expires = cell & EXPIRY_MASK;
        if (userIndex != 0 && block.timestamp < expires) revert TokenRented(tokenId, _users[userIndex], uint64(expires));
    }

    /// @dev For a RENTABLE token: reverts while it is rented.
    function _requireNotRented(uint256 tokenId) private view {
        _revertIfRented(
            tokenId,
            (_rentals[tokenId / CELLS_PER_RENTAL_WORD] >> ((tokenId % CELLS_PER_RENTAL_WORD) * 64)) & CELL_MASK
        );
    }

    /// @dev For a nibble with REVOKED or LOCKED: revoked and redeemed tokens never move; a RENTABLE
    /// one moves only while nobody rents it.
    function _requireMovable(uint256 tokenId, uint256 nibble) private view {
        if (nibble & LOCKED != 0) {
            if (nibble & REVOKED != 0) revert TokenRevoked(tokenId);
            revert TokenLocked(tokenId);
        }
        _requireNotRented(tokenId);
    }

    /// @dev Why a token cannot be made rentable or rented: unknown, revoked, redeemed, else the
    /// wrong rental state (not rentable for {setUser}, rentable already for {enableRental}).
    function _revertNotRentable(uint256 tokenId, uint256 nibble) private view {
        _requireExists(tokenId);
        if (nibble & LOCKED != 0) {
            if (nibble & REVOKED != 0) revert TokenRevoked(tokenId);
            revert TokenLocked(tokenId);
        }
        revert NotRentable(tokenId);
    }

    // ---------------------------------------------------------------- expiries (subscriptions)

    /**
     * @notice Gives the tokens an expiry: their entitlement ends at `expiry` (UNIX seconds), when
     * {isExpired} turns true and any user's right ends with it, without a transaction.
     * @dev Emits {ExpiriesSet}. Requirements: OPERATOR_ROLE, not paused; `expiry` later than now
     * and below 2^32; 1 to {MAX_TOKENS_PER_CALL} tokens, each existing, not revoked, without an
     * expiry (nor listed twice).
     */
    function setExpiries(uint256[] calldata tokenIds, uint64 expiry) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        if (expiry <= block.timestamp || expiry > EXPIRY_MASK) revert InvalidExpiry(expiry);
        _writeExpiries(tokenIds, expiry, false);
        emit ExpiriesSet(tokenIds, expiry);
    }

    /**
     * @notice Renews the tokens: each expiry moves `by` seconds later (from the old expiry, so
     * periods stay contiguous even when renewed in a grace period after it).
     * @dev Reads and writes each 8-token word of expiries once per run of consecutive ids. A token
     * listed twice is extended twice: the caller lists each renewal once. Emits {ExpiriesExtended}.
     * Requirements: OPERATOR_ROLE, not paused; `by` > 0; 1 to {MAX_TOKENS_PER_CALL} tokens, each
     * existing, not revoked, with an expiry; every new expiry below 2^32.
     */
    function extendExpiries(uint256[] calldata tokenIds, uint64 by) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        if (by == 0) revert InvalidExpiry(0);
        _writeExpiries(tokenIds, by, true);
        emit ExpiriesExtended(tokenIds, by);
    }

    /// @notice The token's expiry in UNIX seconds; zero: it never expires. Reverts for an unknown token.
    function expiryOf(uint256 tokenId) external view returns (uint256) {
        _requireExists(tokenId);
        return _expiryOf(tokenId);
    }

    /// @notice Whether the token's entitlement has ended (it had an expiry and that time has come).
    function isExpired(uint256 tokenId) external view returns (bool) {
        _requireExists(tokenId);
        return _isExpired(tokenId);
    }

    function _expiryOf(uint256 tokenId) private view returns (uint256) {
        return (_expiries[tokenId / EXPIRIES_PER_WORD] >> ((tokenId % EXPIRIES_PER_WORD) * 32)) & EXPIRY_MASK;
    }

    function _isExpired(uint256 tokenId) private view returns (bool) {
        uint256 expiry = _expiryOf(tokenId);
        return expiry != 0 && block.timestamp >= expiry;
    }

    /// @dev Sets (`extend` false: `value` is the expiry) or extends (`value` is the extension) each
    /// token's expiry; flags and expiry words are read once per run of tokens sharing them.
    function _writeExpiries(uint256[] calldata tokenIds, uint256 value, bool extend) private {
        uint256 count = tokenIds.length;
        _checkListLength(count, MAX_TOKENS_PER_CALL);
        uint256 nextTokenId_ = _nextTokenId;
        uint256 flagsIndex = type(uint256).max;
        uint256 flags;
        uint256 wordIndex = type(uint256).max;
        uint256 word;
        for (uint256 i = 0; i < count; ++i) {
            uint256 tokenId = tokenIds[i];
            if (tokenId == 0 || tokenId >= nextTokenId_) revert ERC721NonexistentToken(tokenId);
            if (tokenId / TOKENS_PER_WORD != flagsIndex) {
                flagsIndex = tokenId / TOKENS_PER_WORD;
                flags = _tokenFlags[flagsIndex];
            }
            if ((flags >> ((tokenId % TOKENS_PER_WORD) * 4)) & (REVOKED | LOCKED) == (REVOKED | LOCKED)) {
                revert TokenRevoked(tokenId);
            }
            if (tokenId / EXPIRIES_PER_WORD != wordIndex) {
                if (wordIndex != type(uint256).max) _expiries[wordIndex] = word;
                wordIndex = tokenId / EXPIRIES_PER_WORD;
                word = _expiries[wordIndex];
            }
            uint256 shift = (tokenId % EXPIRIES_PER_WORD) * 32;
            uint256 current = (word >> shift) & EXPIRY_MASK;
            uint256 next;
            if (extend) {
                if (current == 0) revert NoExpiry(tokenId);
                next = current + value;
                if (next > EXPIRY_MASK) revert InvalidExpiry(next);
            } else {
                if (current != 0) revert ExpiryAlreadySet(tokenId);
                next = value;
            }
            word = (word & ~(EXPIRY_MASK << shift)) | (next << shift);
        }
        _expiries[wordIndex] = word;
    }

    // ---------------------------------------------------------------- custodial resale

    /**
     * @notice Records resales between custodial accounts: the tokens stay with the custodian and
     * each record names the pseudonymous seller and buyer.
     * @dev The contract checks custody and locks, not the holder chain (that `fromHolder` is the
     * previous `toHolder`): keeping a holder per token would cost a storage slot per resale. The
     * indexer checks the chain from the events.
     * Requirements:
     * - the caller holds OPERATOR_ROLE and the contract is not paused;
     * - 1 to {MAX_TOKENS_PER_CALL} records, three lists of the same length;
     * - each token exists, is owned by the custodian, and is neither locked nor revoked.
     */
    function recordCustodialTransfers(
        uint256[] calldata tokenIds,
        bytes32[] calldata fromHolders,
        bytes32[] calldata toHolders
    ) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        uint256 count = tokenIds.length;
        _checkListLength(count, MAX_TOKENS_PER_CALL);
        if (fromHolders.length != count) revert LengthMismatch(count, fromHolders.length);
        if (toHolders.length != count) revert LengthMismatch(count, toHolders.length);
        uint256 nextTokenId_ = _nextTokenId;
        uint256 wordIndex = type(uint256).max;
        uint256 flags;
        bytes32 signature = CUSTODIAL_TRANSFER_EVENT;
        // Indexes below are < count, the length of all three lists: no bounds checks needed.
        unchecked {
            for (uint256 i = 0; i < count; ++i) {
                uint256 tokenId;
                // Assembly as a measured gas optimisation (explained above): the lint rule is waived here only.
                // solhint-disable-next-line no-inline-assembly
                assembly ("memory-safe") {
                    tokenId := calldataload(add(tokenIds.offset, shl(5, i)))
                }
                if (tokenId == 0 || tokenId >= nextTokenId_) revert ERC721NonexistentToken(tokenId);
                uint256 tokenWord = tokenId / TOKENS_PER_WORD;
                // Records of tokens sharing a flags word read it once.
                if (tokenWord != wordIndex) {
                    wordIndex = tokenWord;
                    flags = _tokenFlags[tokenWord];
                }
                uint256 nibble = (flags >> ((tokenId - tokenWord * TOKENS_PER_WORD) * 4)) & NIBBLE;
                if (nibble & (REVOKED | LOCKED | OWNER_SET) != 0) _requireCustodialAndUnlocked(tokenId, flags, nibble);
                // CustodialTransferRecorded(tokenId, fromHolders[i], toHolders[i]), without
                // Solidity's per-event ABI encoding work: the two holders are the event's data.
                // Assembly as a measured gas optimisation (explained above): the lint rule is waived here only.
                // solhint-disable-next-line no-inline-assembly
                assembly ("memory-safe") {
                    mstore(0x00, calldataload(add(fromHolders.offset, shl(5, i))))
                    mstore(0x20, calldataload(add(toHolders.offset, shl(5, i))))
                    log2(0x00, 0x40, signature, tokenId)
                }
            }
        }
    }

    /// @dev The rare cases of {recordCustodialTransfers}: a locked, revoked or moved token.
    function _requireCustodialAndUnlocked(uint256 tokenId, uint256 flags, uint256 nibble) private view {
        if (nibble & (REVOKED | LOCKED) != 0) _requireMovable(tokenId, nibble);
        address owner = _ownerOf(tokenId, flags);
        if (owner != CUSTODIAN) revert NotInCustody(tokenId, owner);
    }

    // ---------------------------------------------------------------- ERC-721

    /// @inheritdoc IERC721
    function balanceOf(address owner) external view returns (uint256) {
        if (owner == address(0)) revert ERC721InvalidOwner(address(0));
        return _balances[owner];
    }

    /// @inheritdoc IERC721
    function ownerOf(uint256 tokenId) public view returns (address owner) {
        (owner,,) = _ownership(tokenId);
    }

    /// @inheritdoc IERC721
    function transferFrom(address from, address to, uint256 tokenId) public {
        _transfer(from, to, tokenId);
    }

    /// @inheritdoc IERC721
    function safeTransferFrom(address from, address to, uint256 tokenId) external {
        safeTransferFrom(from, to, tokenId, "");
    }

    /// @inheritdoc IERC721
    function safeTransferFrom(address from, address to, uint256 tokenId, bytes memory data) public {
        _transfer(from, to, tokenId);
        ERC721Utils.checkOnERC721Received(msg.sender, from, to, tokenId, data);
    }

    /**
     * @inheritdoc IERC721
     * @dev A token without OWNER_SET first gets it (and its own owner slot), so that only such
     * tokens can carry an approval and a transfer of any other token never touches approvals.
     */
    function approve(address to, uint256 tokenId) external {
        (address owner, uint256 wordIndex, uint256 flags) = _ownership(tokenId);
        if (msg.sender != owner && !_operatorApprovals[owner][msg.sender]) revert ERC721InvalidApprover(msg.sender);
        uint256 shift = (tokenId % TOKENS_PER_WORD) * 4;
        if ((flags >> shift) & OWNER_SET == 0) {
            _tokenFlags[wordIndex] = flags | (OWNER_SET << shift);
            _tokenOwners[tokenId] = owner;
        }
        _tokenApprovals[tokenId] = to;
        emit Approval(owner, to, tokenId);
    }

    /// @inheritdoc IERC721
    function getApproved(uint256 tokenId) external view returns (address) {
        uint256 nibble = _nibbleOf(tokenId);
        return nibble & OWNER_SET != 0 ? _tokenApprovals[tokenId] : address(0);
    }

    /// @inheritdoc IERC721
    function setApprovalForAll(address operator, bool approved) external {
        if (operator == address(0)) revert ERC721InvalidOperator(address(0));
        _operatorApprovals[msg.sender][operator] = approved;
        emit ApprovalForAll(msg.sender, operator, approved);
    }

    /// @inheritdoc IERC721
    function isApprovedForAll(address owner, address operator) external view returns (bool) {
        return _operatorApprovals[owner][operator];
    }

    /// @inheritdoc IERC721Metadata
    function name() external pure returns (string memory) {
        return NAME;
    }

    /// @inheritdoc IERC721Metadata
    function symbol() external pure returns (string memory) {
        return SYMBOL;
    }

    /// @inheritdoc IERC721Metadata
    function tokenURI(uint256 tokenId) external view returns (string memory) {
        _nibbleOf(tokenId); // reverts for a token that does not exist
        string memory base = _baseTokenURI;
        return bytes(base).length == 0 ? "" : string.concat(base, Strings.toString(tokenId));
    }

    // ---------------------------------------------------------------- royalties

    /**
     * @notice ERC-2981: the batch's royalty if it has one, else the default royalty.
     * @dev Reverts for a token that does not exist. The amount is a full-precision mulDiv, as in
     * OpenZeppelin's default royalty: a plain `salePrice * fraction` overflowed (panic 0x11) for
     * prices above 2^256 / fraction, so a marketplace asking for a batch royalty got a revert
     * where the default royalty answered (found by test/solidity/EntitlementToken.fuzz.t.sol).
     */
    function royaltyInfo(uint256 tokenId, uint256 salePrice)
        public
        view
        override
        returns (address receiver, uint256 amount)
    {
        RoyaltyInfo memory royalty = _batchRoyalties[batchOf(tokenId)];
        if (royalty.receiver == address(0)) return super.royaltyInfo(tokenId, salePrice);
        return (royalty.receiver, Math.mulDiv(salePrice, royalty.royaltyFraction, _feeDenominator()));
    }

    /**
     * @notice Sets the royalty of every token of batch `batchId` (a batch is one product's import,
     * so this is the product's royalty); a zero `receiver` removes it.
     * @dev Requirements: the caller holds OPERATOR_ROLE; `basisPoints` <= 10,000.
     */
    function setRoyalty(uint64 batchId, address receiver, uint96 basisPoints) external onlyRole(OPERATOR_ROLE) {
        if (basisPoints > _feeDenominator()) revert RoyaltyTooHigh(basisPoints, _feeDenominator());
        if (receiver == address(0)) {
            delete _batchRoyalties[batchId];
            emit RoyaltySet(batchId, address(0), 0);
        } else {
            _batchRoyalties[batchId] = RoyaltyInfo(receiver, basisPoints);
            emit RoyaltySet(batchId, receiver, basisPoints);
        }
    }

    /**
     * @notice Sets the royalty for tokens whose batch has none.
     * @dev Requirements: the caller holds DEFAULT_ADMIN_ROLE; `receiver` not zero; `basisPoints` <= 10,000.
     */
    function setDefaultRoyalty(address receiver, uint96 basisPoints) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (basisPoints > _feeDenominator()) revert RoyaltyTooHigh(basisPoints, _feeDenominator());
        _setDefaultRoyalty(receiver, basisPoints);
        emit DefaultRoyaltySet(receiver, basisPoints);
    }

    // ---------------------------------------------------------------- administration and views

    /// @notice Sets the base of token URIs (`tokenURI` = base + decimal id). Requirements: DEFAULT_ADMIN_ROLE.
    function setBaseURI(string calldata baseURI) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _baseTokenURI = baseURI;
        emit BaseURIChanged(baseURI);
    }

    /// @notice Stops issuance, redemption, revocation and custodial records. Requirements: DEFAULT_ADMIN_ROLE.
    function pause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pause();
    }

    /// @notice Resumes them. Requirements: DEFAULT_ADMIN_ROLE.
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    /// @notice The batch a token was issued from. Reverts for a token that does not exist.
    function batchOf(uint256 tokenId) public view returns (uint64) {
        _requireExists(tokenId);
        return uint64(_runs[_runStartOf(tokenId, _tokenFlags[tokenId / TOKENS_PER_WORD])] >> 160);
    }

    /// @notice The registry whose roots issuance checks.
    function registry() external view returns (address) {
        return address(REGISTRY);
    }

    /// @notice The platform's custody address.
    function custodian() external view returns (address) {
        return CUSTODIAN;
    }

    /// @notice The id the next issued token gets.
    function nextTokenId() external view returns (uint256) {
        return _nextTokenId;
    }

    /// @notice How many tokens were ever issued (none is ever burned).
    function totalSupply() external view returns (uint256) {
        return _nextTokenId - 1;
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(AccessControl, ERC2981, IERC165)
        returns (bool)
    {
        return interfaceId == type(IERC721).interfaceId || interfaceId == type(IERC721Metadata).interfaceId
            || interfaceId == type(IERC5192).interfaceId || interfaceId == type(IERC4907).interfaceId
            || ERC2981.supportsInterface(interfaceId)
            || AccessControl.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------- internals

    function _checkListLength(uint256 count, uint256 max) private pure {
        if (count == 0) revert EmptyList();
        if (count > max) revert TooMany(count, max);
    }

    function _requireExists(uint256 tokenId) private view {
        if (tokenId == 0 || tokenId >= _nextTokenId) revert ERC721NonexistentToken(tokenId);
    }

    function _nibbleOf(uint256 tokenId) private view returns (uint256) {
        _requireExists(tokenId);
        return (_tokenFlags[tokenId / TOKENS_PER_WORD] >> ((tokenId % TOKENS_PER_WORD) * 4)) & NIBBLE;
    }

    /// @dev The owner of an existing token, with its flags word (for callers that update it).
    function _ownership(uint256 tokenId) private view returns (address owner, uint256 wordIndex, uint256 flags) {
        _requireExists(tokenId);
        wordIndex = tokenId / TOKENS_PER_WORD;
        flags = _tokenFlags[wordIndex];
        owner = _ownerOf(tokenId, flags);
    }

    /// @dev The owner of an existing token under the custody invariant (see the contract notes).
    function _ownerOf(uint256 tokenId, uint256 flags) private view returns (address owner) {
        if ((flags >> ((tokenId % TOKENS_PER_WORD) * 4)) & OWNER_SET == 0) return CUSTODIAN;
        owner = _tokenOwners[tokenId];
        if (owner == address(0)) owner = address(uint160(_runs[_runStartOf(tokenId, flags)]));
    }

    /**
     * @dev The first id of the run holding `tokenId`, from the token's own flags word: the last
     * RUN_START at or before the token in this word, else the word's header.
     */
    function _runStartOf(uint256 tokenId, uint256 flags) private pure returns (uint256) {
        uint256 position = tokenId % TOKENS_PER_WORD;
        // position * 4 + 1 <= 221, so the shift stays inside the word.
        uint256 starts = flags & RUN_START_BITS & ((uint256(1) << (position * 4 + 1)) - 1);
        if (starts != 0) return tokenId - position + Math.log2(starts) / 4;
        return flags >> HEADER_SHIFT;
    }

    /// @dev Reverts unless `leaves` are all in the root anchored for `batchId`.
    function _verifyProof(uint64 batchId, bytes32[] memory leaves, bytes32[] calldata proof, uint256[] calldata proofFlags)
        private
        view
    {
        bytes32 root = REGISTRY.rootForIssuance(batchId);
        if (root == bytes32(0)) revert BatchNotAnchored(batchId);
        (bool valid, bytes32 computed) = PackedMultiProof.processCalldata(proof, proofFlags, leaves);
        if (!valid || computed != root) revert InvalidProof(batchId);
    }

    /// @dev Recomputes each leaf exactly as core/keys/leaf.ts does (OpenZeppelin standard leaf).
    function _leavesOf(uint64 shopId, uint64 batchId, uint32[] calldata leafIndexes, bytes32[] calldata commitments)
        private
        view
        returns (bytes32[] memory leaves)
    {
        uint256 count = leafIndexes.length;
        leaves = new bytes32[](count);
        uint256 chainId = block.chainid;
        address registry_ = address(REGISTRY);
        // For each i: keccak256(bytes.concat(keccak256(abi.encode(chainId, registry, shopId,
        // batchId, leafIndexes[i], commitments[i])))). Written out because this loop runs for every
        // key: no memory is allocated per leaf (the six words go just past the free memory
        // pointer, which is left unchanged: scratch use). Each leaf index is checked to fit uint32
        // as the ABI decoder would.
        // Assembly as a measured gas optimisation (explained above): the lint rule is waived here only.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let buffer := mload(0x40)
            mstore(buffer, chainId)
            mstore(add(buffer, 0x20), registry_)
            mstore(add(buffer, 0x40), shopId)
            mstore(add(buffer, 0x60), batchId)
            let out := add(leaves, 0x20)
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                let leafIndex := calldataload(add(leafIndexes.offset, shl(5, i)))
                if gt(leafIndex, 0xffffffff) { revert(0, 0) }
                mstore(add(buffer, 0x80), leafIndex)
                mstore(add(buffer, 0xa0), calldataload(add(commitments.offset, shl(5, i))))
                mstore(0x00, keccak256(buffer, 0xc0))
                mstore(add(out, shl(5, i)), keccak256(0x00, 0x20))
            }
        }
    }

    /// @dev Sets each leaf's bit in the batch's bitmap, refusing one set before; one storage
    /// write per bitmap word touched.
    function _markIssued(uint64 batchId, uint32[] calldata leafIndexes) private {
        mapping(uint256 => uint256) storage bitmap = _issuedLeaves[batchId];
        bytes4 alreadyIssued = LeafAlreadyIssued.selector;
        // Leaf indexes were checked to fit uint32 by _leavesOf. The slot of bitmap[w] is
        // keccak256(w . bitmap.slot), as Solidity lays out mappings.
        // Assembly as a measured gas optimisation (explained above): the lint rule is waived here only.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let count := leafIndexes.length
            let wordIndex := not(0)
            let slot := 0
            let bits := 0
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                let leafIndex := calldataload(add(leafIndexes.offset, shl(5, i)))
                let leafWord := shr(8, leafIndex)
                if iszero(eq(leafWord, wordIndex)) {
                    if iszero(eq(wordIndex, not(0))) { sstore(slot, bits) }
                    wordIndex := leafWord
                    mstore(0x00, leafWord)
                    mstore(0x20, bitmap.slot)
                    slot := keccak256(0x00, 0x40)
                    bits := sload(slot)
                }
                let bit := shl(and(leafIndex, 255), 1)
                if and(bits, bit) {
                    mstore(0x00, alreadyIssued)
                    mstore(0x04, batchId)
                    mstore(0x24, leafIndex)
                    revert(0x00, 0x44)
                }
                bits := or(bits, bit)
            }
            sstore(slot, bits)
        }
    }

    /// @dev Mints ids `first` .. `first + count - 1` to `to` as one run.
    function _mintRun(address to, uint64 batchId, uint256 count) private returns (uint256 first) {
        first = _nextTokenId;
        // Cannot overflow: first < 2^32 and count <= MAX_LEAVES_PER_ISSUE.
        uint256 last = first + count - 1;
        if (last > MAX_TOKEN_ID) revert TokenIdSpaceExhausted(last, MAX_TOKEN_ID);
        _runs[first] = uint256(uint160(to)) | (uint256(batchId) << 160);
        // A run issued to anyone but the custodian turns OWNER_SET on for all its tokens (the
        // custody invariant); the run's owner then answers for them until they move.
        uint256 ownerSetBits = to == CUSTODIAN ? 0 : OWNER_SET_BITS;
        uint256 firstWord = first / TOKENS_PER_WORD;
        uint256 firstPosition = first % TOKENS_PER_WORD;
        uint256 endPosition = Math.min(TOKENS_PER_WORD, firstPosition + count);
        _tokenFlags[firstWord] |=
            (RUN_START << (firstPosition * 4)) | (ownerSetBits & _nibblesFrom(firstPosition * 4, endPosition * 4));
        // Every later word the run reaches holds no minted token yet (ids only grow), so it is
        // written whole: its header names this run.
        unchecked {
            // Bounded by last < 2^32.
            for (uint256 word = firstWord + 1; word * TOKENS_PER_WORD <= last; ++word) {
                uint256 tokensHere = Math.min(TOKENS_PER_WORD, last - word * TOKENS_PER_WORD + 1);
                _tokenFlags[word] = (first << HEADER_SHIFT) | (ownerSetBits & _nibblesFrom(0, tokensHere * 4));
            }
            // Cannot overflow: a balance never exceeds the number of ids (< 2^32).
            _balances[to] += count;
        }
        _nextTokenId = last + 1;
        bytes32 signature = TRANSFER_EVENT;
        // Assembly as a measured gas optimisation (explained above): the lint rule is waived here only.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let receiver := and(to, 0xffffffffffffffffffffffffffffffffffffffff)
            for { let id := first } iszero(gt(id, last)) { id := add(id, 1) } {
                log4(0, 0, signature, 0, receiver, id)
            }
        }
    }

    /// @dev A mask of the bits from `fromBit` (inclusive) to `toBit` (exclusive), `toBit` <= 224.
    function _nibblesFrom(uint256 fromBit, uint256 toBit) private pure returns (uint256) {
        return ((uint256(1) << toBit) - 1) & ~((uint256(1) << fromBit) - 1);
    }

    /// @dev Packs the leaf indexes as big-endian uint32s for {EntitlementsIssued}.
    function _packLeafIndexes(uint32[] calldata leafIndexes) private pure returns (bytes memory packed) {
        uint256 count = leafIndexes.length;
        packed = new bytes(count * 4);
        // Each step writes 32 bytes of which the last 28 are zero; going forward, each write's
        // zeros are overwritten by the next one, and the last write's zeros land in unused memory
        // past the array. The values were checked to fit uint32 by _leavesOf.
        // Assembly as a measured gas optimisation (explained above): the lint rule is waived here only.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let out := add(packed, 0x20)
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                mstore(add(out, shl(2, i)), shl(224, calldataload(add(leafIndexes.offset, shl(5, i)))))
            }
        }
    }

    /**
     * @dev Moves `tokenId` from `from` to `to` for the caller, after the ERC-721 checks and the
     * lock checks. The token gets its own owner slot (and OWNER_SET); nothing else in its run
     * changes, which is what keeps a withdrawal from the middle of a run cheap.
     */
    function _transfer(address from, address to, uint256 tokenId) private {
        if (to == address(0)) revert ERC721InvalidReceiver(address(0));
        _requireExists(tokenId);
        uint256 wordIndex = tokenId / TOKENS_PER_WORD;
        uint256 shift = (tokenId % TOKENS_PER_WORD) * 4;
        uint256 flags = _tokenFlags[wordIndex];
        uint256 nibble = (flags >> shift) & NIBBLE;
        if (nibble & (REVOKED | LOCKED) != 0) _requireMovable(tokenId, nibble);
        bool ownerSet = nibble & OWNER_SET != 0;
        address owner = _ownerOf(tokenId, flags);
        if (owner != from) revert ERC721IncorrectOwner(from, tokenId, owner);
        address approved = ownerSet ? _tokenApprovals[tokenId] : address(0);
        if (msg.sender != owner && approved != msg.sender && !_operatorApprovals[owner][msg.sender]) {
            revert ERC721InsufficientApproval(msg.sender, tokenId);
        }
        if (approved != address(0)) delete _tokenApprovals[tokenId];
        if (!ownerSet) _tokenFlags[wordIndex] = flags | (OWNER_SET << shift);
        _tokenOwners[tokenId] = to;
        // Cannot underflow: `from` owns this token. Cannot overflow: fewer than 2^32 tokens exist.
        unchecked {
            _balances[from] -= 1;
            _balances[to] += 1;
        }
        emit Transfer(from, to, tokenId);
    }
}
